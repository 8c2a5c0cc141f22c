// Go text/template and html/template for Kratos courier templates.
//
// Kratos renders mail with Go's text/template (subjects, plain-text bodies,
// SMS) and html/template (HTML bodies), with Sprig's function map. Operators
// ship .gotmpl files written for it, so mneme must render them unchanged.
// GoTemplate parses and executes that language with data given as JSON and
// produces the bytes Go would, for the subset below. Anything outside the
// subset fails loudly (a parse error such as `function "now" not defined`),
// never renders differently in silence.
//
// Language (Go's text/template/doc.go):
//   * text, actions {{ }}, trim markers "{{- " and " -}}" (the marker needs a
//     space, tab or newline beside it; all adjacent spaces, tabs, CRs and
//     newlines are trimmed), comments {{/* */}} (also with trim markers);
//   * . .Field .A.B.C $ $.X $var $var.Field (PIPELINE).Field; literals: "..."
//     with Go escapes, `raw`, 'c' characters, integers (decimal, 0x, 0o, 0b,
//     leading-0 octal, underscores), floats (also hex floats), true, false, nil;
//   * pipelines with |, function calls with arguments, parenthesized
//     pipelines; {{$x := P}} and {{$x = P}} with Go's scoping (a variable lives
//     to the {{end}} of the if/with/range that declares it);
//   * {{if}} / {{else if}} / {{else}} / {{end}}, {{with}} / {{else with}} /
//     {{else}}, {{range}} over lists, maps (sorted keys) and integers (Go 1.22),
//     with {{range $i, $e := P}}, {{range $e := P}}, {{else}}, {{break}},
//     {{continue}}; {{define "n"}}, {{template "n" P}}, {{block "n" P}}.
//   Truth is Go's: false, 0, nil, "", empty list or map are false.
//
// Functions: the text/template builtins and, or (short-circuit), not, len,
// index, slice, print, printf, println, eq (eq a b c...), ne, lt, le, gt, ge,
// html, js, urlquery, call (JSON has no functions, so call always fails); and
// Sprig's upper, lower, title, trim, trimAll (trimall), trimPrefix,
// trimSuffix, nospace, contains, hasPrefix, hasSuffix, replace, repeat, substr,
// trunc, abbrev, quote, squote, cat, indent, nindent, default, empty, coalesce,
// ternary, join, toJson, toString, plural, add, add1, sub, mul, div, mod, max,
// min, list, dict, get, hasKey, splitList, b64enc, b64dec. Arguments are type
// checked as Go checks them (e.g. `upper .Missing` fails with "invalid value;
// expected string"). printf implements fmt's verbs v s d q x X o O b c U e E f
// F g G t T % with flags + - # 0 space, width, precision, * and [n]; errors
// print as fmt does (%!d(string=x), %!s(MISSING), %!(EXTRA ...)).
//
// Data: JSON as a Go map[string]interface{} decoded from it would be: objects
// are map[string]interface {} (fields are map keys, so a missing key is not an
// error), arrays []interface {}, integers int, other numbers float64, null nil.
// Values print as fmt's %v does: floats in Go's %g-style shortest form
// (1e+06), lists as [a b], maps as map[k:v] with sorted keys.
//   * A missing key or a null value prints "<no value>" under Escaping::kText
//     (Go's default "missingkey=default" and its nil-interface rule) and
//     prints nothing under Escaping::kHtml (html/template drops untyped nil).
//   * Taking a field of a JSON null is an error ("nil pointer evaluating
//     interface {}.X"); of a missing key it is "<no value>" again.
//   * Kratos passes Go structs, where a misspelled top-level field is an error;
//     here every level is a map, so it prints "<no value>" instead.
//
// Escaping::kHtml follows html/template for HTML text: every value an action
// prints is escaped with & < > " ' + as &amp; &lt; &gt; &#34; &#39; &#43; (NUL
// as U+FFFD); text outside actions is copied unchanged except HTML comments
// <!-- ... -->, which are removed along with any action inside them; a
// pipeline ending in `html` is not escaped again; `html` or `urlquery` before
// the end of a printed pipeline is the html/template error "predefined escaper
// ... disallowed in template". Deliberately not done: contextual escaping.
// Values inside attributes, URLs, <script> and <style> get the same HTML-text
// escaping (safe in quoted attributes; URL filtering of javascript: and
// normalization of URLs, JS and CSS escaping are not applied), and a stray '<'
// in template text is not rewritten to &lt;.
//
// Not supported (parse errors): complex numbers, custom delimiters, Sprig
// functions not listed above (dates, random, env, crypto, regex, semver...).
// Case mapping in upper/lower/title covers ASCII, Latin-1, Latin Extended-A,
// Greek and Cyrillic; other scripts pass through unchanged. %b/%x on floats and
// %p are reported as bad verbs.
//
// Limits, so that a hostile template cannot exhaust the process: source at
// most 1 MiB; control structures and parenthesized pipelines nest at most 100
// deep when parsing (an else-if chain counts each link); at run time nesting of
// if/with/range, parenthesized pipelines and {{template}} calls is at most 100
// ("exceeded maximum template depth (100)"); the output and every string a
// function builds are at most 1 MiB; at most 1,000,000 execution steps.
//
// Errors are kInvalidArgument with Go's wording:
//   parse:   template: NAME:LINE: MESSAGE
//   execute: template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE
//
// Thread-safety: a GoTemplate is immutable after Parse and AddTemplate;
// Execute and ExecuteTemplate are const and may run concurrently on one
// object. AddTemplate must not run concurrently with any other call on the
// same object. Copies share the parsed trees and are independent afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/common/result.h"

namespace mneme::domain::courier {

enum class Escaping {
  kText,  // text/template
  kHtml,  // html/template, for HTML text (see above)
};

struct GoTemplateLimits {
  size_t max_source_bytes = 1 << 20;
  int max_parse_depth = 100;
  int max_exec_depth = 100;
  size_t max_output_bytes = 1 << 20;
  int64_t max_steps = 1'000'000;
};

namespace gotmpl {
struct Tree;
}  // namespace gotmpl

class GoTemplate {
 public:
  // Parses `source` as the template `name`, with the templates it defines.
  // Errors: kInvalidArgument "template: <name>:<line>: <what>" as Go reports
  // it (unclosed action, unexpected {{end}}, function "x" not defined, ...),
  // or when the source exceeds the size or nesting limits.
  static Result<GoTemplate> Parse(std::string_view name, std::string_view source,
                                  const GoTemplateLimits& limits = {});

  // Adds another template to the set, like Go's ParseFiles/ParseGlob adding a
  // file: `name` and everything `source` defines become callable with
  // {{template}} and ExecuteTemplate. A non-empty definition replaces an
  // earlier one of the same name. Errors: as Parse; the set is unchanged then.
  Status AddTemplate(std::string_view name, std::string_view source);

  // Executes the template named at Parse with `data` as dot and $.
  // Errors: kInvalidArgument "template: <name>:<line>:<col>: executing
  // \"<name>\" at <<node>>: <what>" for execution errors (field of a non-map,
  // wrong argument count or type, index out of range, limits exceeded...).
  Result<std::string> Execute(const nlohmann::json& data, Escaping escaping) const;

  // Executes the associated template `name`. Errors: as Execute, plus
  // kInvalidArgument "template: no template \"<name>\" associated with
  // template \"<root>\"".
  Result<std::string> ExecuteTemplate(std::string_view name, const nlohmann::json& data,
                                      Escaping escaping) const;

  const std::string& name() const { return name_; }

 private:
  using TreeMap = std::map<std::string, std::shared_ptr<const gotmpl::Tree>, std::less<>>;

  GoTemplate(std::string name, GoTemplateLimits limits, std::shared_ptr<const TreeMap> trees)
      : name_(std::move(name)), limits_(limits), trees_(std::move(trees)) {}

  std::string name_;
  GoTemplateLimits limits_;
  std::shared_ptr<const TreeMap> trees_;
};

}  // namespace mneme::domain::courier
