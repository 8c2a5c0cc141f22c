// Internals of the Go template engine (go_template.h): the value model that
// stands in for Go's reflect.Value when data is JSON, Go's fmt formatting of
// those values, the escapers, and the function table (text/template builtins
// plus the Sprig subset). Not for use outside domain/courier/go_template*.
//
// Pure functions over value types; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/common/result.h"

namespace mneme::domain::courier::gotmpl {

// A value as text/template sees it. JSON maps to Go the way a Kratos model
// decoded into map[string]interface{} would: object -> map[string]interface {},
// array -> []interface {}, string, bool, integer -> int, other number ->
// float64, null -> nil.
// Whether a value is still a map or slice element (see Value::boxed).
enum class Boxing { kUnboxed, kBoxed };

struct Value {
  enum class Kind {
    kInvalid,  // Go's zero reflect.Value: missing map key, untyped nil, no data
    kNil,      // a nil interface{} held in a container (JSON null); see `boxed`
    kBool,
    kInt,
    kFloat,
    kString,
    kList,
    kMap,
  };

  Kind kind = Kind::kInvalid;
  // True while the value is still an element of a map or slice, whose static
  // Go type is interface {}. Go digs one level down after every pipeline
  // command (Unboxed()); until then a JSON null is a nil interface (an error to
  // take a field of) rather than "no value", and error messages name the type
  // interface {}.
  bool boxed = false;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  // kString: a view into the caller's data, into `owner`, or into `str_owner`
  // (strings computed during execution). Copies of a Value are cheap.
  std::string_view s;
  std::shared_ptr<const std::string> str_owner;
  // kList and kMap: the JSON array or object, owned by the caller's data or by
  // `owner` (for values computed during execution).
  const nlohmann::json* json = nullptr;
  std::shared_ptr<const nlohmann::json> owner;

  static Value Invalid() { return {}; }
  static Value Bool(bool v);
  static Value Int(int64_t v);
  static Value Float(double v);
  static Value String(std::string v);
  // A string that views `v`; the caller keeps `v` alive as long as the value.
  static Value StringView(std::string_view v);
  // A view of `j` (kept alive by `owner` when not null).
  static Value FromJson(const nlohmann::json& j, Boxing boxing,
                        std::shared_ptr<const nlohmann::json> owner);
  // A computed value that owns its JSON.
  static Value Owned(nlohmann::json j);

  bool IsValid() const { return kind != Kind::kInvalid; }
  bool IsNil() const { return kind == Kind::kInvalid || kind == Kind::kNil; }
  // Go's "if the object has type interface{}, dig down one level".
  Value Unboxed() const;
};

// Go's name for the dynamic type ("int", "[]interface {}", ...); "<nil>" for
// an invalid value, "interface {}" for kNil.
std::string TypeName(const Value& v);
// The static type: "interface {}" while boxed, else TypeName.
std::string StaticTypeName(const Value& v);

// text/template's truth: false, 0, nil and empty strings/lists/maps are false.
bool Truth(const Value& v);

// The JSON form of a value (invalid and nil become null).
nlohmann::json ToJson(const Value& v);

// strconv.Quote and strconv.QuoteToASCII.
std::string GoQuote(std::string_view s);
std::string GoQuoteToAscii(std::string_view s);
// strconv.FormatFloat for fmt 'e', 'E', 'f', 'g', 'G'; prec -1 is shortest.
std::string FormatFloat(double v, char fmt, int prec);
// Go's %#U-style rune description used by lexer errors: U+0041 'A'.
std::string DescribeRune(int32_t r);
// unicode.IsPrint, approximated outside ASCII (see go_template.h).
bool IsPrintRune(int32_t r);
// Appends the UTF-8 encoding of r (U+FFFD for invalid runes).
void AppendRune(std::string& out, int32_t r);

// strconv.ParseUint / ParseInt with base 0 (0x, 0o, 0b and 0 prefixes,
// underscores between digits) and ParseFloat (decimal and hex floats,
// underscores allowed); nullopt when the text is not such a number or
// overflows.
std::optional<uint64_t> ParseGoUint(std::string_view s);
std::optional<int64_t> ParseGoInt(std::string_view s);
std::optional<double> ParseGoFloat(std::string_view s);

// fmt.Sprint / Sprintln / Sprintf over values. Errors: kInvalidArgument when
// a value is nested deeper than 1000 levels.
Result<std::string> Sprint(std::span<const Value> args);
Result<std::string> Sprintln(std::span<const Value> args);
Result<std::string> Sprintf(std::string_view format, std::span<const Value> args);
// fmt.Sprint of one value ("%v").
Result<std::string> FormatV(const Value& v);

// text/template's HTMLEscapeString: & < > " ' and NUL.
// Go's strings.TrimSpace (Unicode white space, as unicode.IsSpace).
std::string_view GoTrimSpace(std::string_view s);

std::string HtmlEscape(std::string_view s);
// html/template's escaper for HTML text and quoted attributes: also '+'.
std::string HtmlTemplateEscape(std::string_view s);
// text/template's JSEscapeString.
std::string JsEscape(std::string_view s);
// net/url.QueryEscape.
std::string UrlQueryEscape(std::string_view s);

// Parameter types of template functions, as Go's evalArg sees them.
enum class ParamType {
  kAny,    // interface{}
  kValue,  // reflect.Value: takes anything, including no value
  kString,
  kInt,
  kBool,
  kMap,  // map[string]interface{}
};
std::string_view ParamTypeName(ParamType t);

struct CallLimits {
  size_t max_string_bytes;
};

// A function's implementation. Arguments already have the declared types.
// Errors carry Go's error text (the caller adds "error calling NAME: ").
using FuncImpl = Result<Value> (*)(std::vector<Value>& args, const CallLimits& limits);

struct FuncSpec {
  std::string_view name;
  std::vector<ParamType> params;  // fixed parameters
  bool variadic = false;
  ParamType variadic_type = ParamType::kAny;
  FuncImpl impl = nullptr;  // null for "and"/"or", which the executor short-circuits
};

// The function named `name` (a text/template builtin or a supported Sprig
// function), or null.
const FuncSpec* FindFunc(std::string_view name);

}  // namespace mneme::domain::courier::gotmpl
