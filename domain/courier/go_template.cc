#include "domain/courier/go_template.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/common/result.h"
#include "domain/common/utf8.h"
#include "domain/courier/go_template_funcs.h"

namespace mneme::domain::courier {
namespace gotmpl {

// Parse tree nodes, after Go's text/template/parse/node.go. One struct with a
// type tag; which fields are used depends on the type.
enum class NodeType {
  kList,        // nodes
  kText,        // text
  kAction,      // pipe
  kIf,          // pipe, list, else_list
  kRange,       // pipe, list, else_list
  kWith,        // pipe, list, else_list
  kTemplate,    // text (the name), pipe (may be null)
  kBreak,
  kContinue,
  kEnd,         // transient: returned by the parser for {{end}}
  kElse,        // transient: returned by the parser for {{else}}
  kPipe,        // decl, is_assign, nodes (commands)
  kCommand,     // nodes (arguments)
  kField,       // idents: .A.B is {A, B}
  kVariable,    // idents: $x.A is {$x, A}
  kChain,       // pipe (the operand), idents (the fields)
  kIdentifier,  // text: a function name
  kDot,
  kNil,
  kBool,    // truth
  kNumber,  // text, is_int/int_value, is_uint, is_float/float_value
  kString,  // text (quoted as written), str (value)
};

struct Node {
  NodeType type = NodeType::kList;
  size_t pos = 0;
  int line = 0;
  std::string text;
  std::string str;
  std::vector<std::string> idents;
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<std::string> decl;
  bool is_assign = false;
  bool truth = false;
  bool is_int = false;
  bool is_uint = false;
  bool is_float = false;
  int64_t int_value = 0;
  double float_value = 0;
  std::unique_ptr<Node> pipe;
  std::unique_ptr<Node> list;
  std::unique_ptr<Node> else_list;
};

struct Tree {
  std::string name;
  std::string parse_name;  // the template being parsed when this one was defined
  std::shared_ptr<const std::string> text;
  std::unique_ptr<Node> root;
};

namespace {

using Kind = Value::Kind;
using NodePtr = std::unique_ptr<Node>;

Error InvalidArgument(std::string message) {
  return Error(Code::kInvalidArgument, std::move(message));
}

// ---------------------------------------------------------------------------
// Node printing, as parse.Node.String() (used in error messages).

void WriteNode(const Node& n, std::string& out);

void WritePipe(const Node& p, std::string& out) {
  if (!p.decl.empty()) {
    for (size_t i = 0; i < p.decl.size(); ++i) {
      if (i > 0) {
        out += ", ";
      }
      out += p.decl[i];
    }
    out += p.is_assign ? " = " : " := ";
  }
  for (size_t i = 0; i < p.nodes.size(); ++i) {
    if (i > 0) {
      out += " | ";
    }
    WriteNode(*p.nodes[i], out);
  }
}

void WriteNode(const Node& n, std::string& out) {
  switch (n.type) {
    case NodeType::kList:
      for (const auto& c : n.nodes) {
        WriteNode(*c, out);
      }
      return;
    case NodeType::kText:
      out += n.text;
      return;
    case NodeType::kAction:
      out += "{{";
      WritePipe(*n.pipe, out);
      out += "}}";
      return;
    case NodeType::kIf:
    case NodeType::kRange:
    case NodeType::kWith:
      out += n.type == NodeType::kIf      ? "{{if "
             : n.type == NodeType::kRange ? "{{range "
                                          : "{{with ";
      WritePipe(*n.pipe, out);
      out += "}}";
      WriteNode(*n.list, out);
      if (n.else_list) {
        out += "{{else}}";
        WriteNode(*n.else_list, out);
      }
      out += "{{end}}";
      return;
    case NodeType::kTemplate:
      out += "{{template " + GoQuote(n.text);
      if (n.pipe) {
        out += " ";
        WritePipe(*n.pipe, out);
      }
      out += "}}";
      return;
    case NodeType::kBreak:
      out += "{{break}}";
      return;
    case NodeType::kContinue:
      out += "{{continue}}";
      return;
    case NodeType::kEnd:
      out += "{{end}}";
      return;
    case NodeType::kElse:
      out += "{{else}}";
      return;
    case NodeType::kPipe:
      WritePipe(n, out);
      return;
    case NodeType::kCommand:
      for (size_t i = 0; i < n.nodes.size(); ++i) {
        if (i > 0) {
          out += " ";
        }
        if (n.nodes[i]->type == NodeType::kPipe) {
          out += "(";
          WritePipe(*n.nodes[i], out);
          out += ")";
        } else {
          WriteNode(*n.nodes[i], out);
        }
      }
      return;
    case NodeType::kField:
      for (const auto& id : n.idents) {
        out += "." + id;
      }
      return;
    case NodeType::kVariable:
      for (size_t i = 0; i < n.idents.size(); ++i) {
        if (i > 0) {
          out += ".";
        }
        out += n.idents[i];
      }
      return;
    case NodeType::kChain:
      if (n.pipe->type == NodeType::kPipe) {
        out += "(";
        WritePipe(*n.pipe, out);
        out += ")";
      } else {
        WriteNode(*n.pipe, out);
      }
      for (const auto& id : n.idents) {
        out += "." + id;
      }
      return;
    case NodeType::kDot:
      out += ".";
      return;
    case NodeType::kNil:
      out += "nil";
      return;
    case NodeType::kBool:
      out += n.truth ? "true" : "false";
      return;
    case NodeType::kIdentifier:
    case NodeType::kNumber:
    case NodeType::kString:
      out += n.text;
      return;
  }
}

std::string NodeString(const Node& n) {
  std::string out;
  WriteNode(n, out);
  return out;
}

// parse.IsEmptyTree: only space and comments.
bool IsEmptyTree(const Node& n) {
  switch (n.type) {
    case NodeType::kList:
      return std::all_of(n.nodes.begin(), n.nodes.end(),
                         [](const NodePtr& c) { return IsEmptyTree(*c); });
    case NodeType::kText:
      return n.text.find_first_not_of(" \t\n\v\f\r") == std::string::npos;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------
// Lexer: a port of Go's text/template/parse/lex.go (synchronous version).

enum class ItemType {
  kError,
  kBool,
  kChar,
  kCharConstant,
  kComplex,
  kAssign,
  kDeclare,
  kEof,
  kField,
  kIdentifier,
  kLeftDelim,
  kLeftParen,
  kNumber,
  kPipe,
  kRawString,
  kRightDelim,
  kRightParen,
  kSpace,
  kString,
  kText,
  kVariable,
  kKeyword,  // keywords follow
  kBlock,
  kBreak,
  kContinue,
  kDot,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kNil,
  kRange,
  kTemplate,
  kWith,
};

struct Item {
  ItemType type = ItemType::kEof;
  size_t pos = 0;
  std::string val;
  int line = 0;
};

ItemType KeywordType(std::string_view word) {
  static constexpr std::pair<std::string_view, ItemType> kKeywords[] = {
      {".", ItemType::kDot},           {"block", ItemType::kBlock},
      {"break", ItemType::kBreak},     {"continue", ItemType::kContinue},
      {"define", ItemType::kDefine},   {"else", ItemType::kElse},
      {"end", ItemType::kEnd},         {"if", ItemType::kIf},
      {"range", ItemType::kRange},     {"nil", ItemType::kNil},
      {"template", ItemType::kTemplate}, {"with", ItemType::kWith},
  };
  for (const auto& [name, type] : kKeywords) {
    if (name == word) {
      return type;
    }
  }
  return ItemType::kError;
}

std::string ItemString(const Item& i) {
  if (i.type == ItemType::kEof) {
    return "EOF";
  }
  if (i.type == ItemType::kError) {
    return i.val;
  }
  if (i.type > ItemType::kKeyword) {
    return "<" + i.val + ">";
  }
  if (i.val.size() > 10) {
    // %.10q: the first ten runes, quoted.
    std::string_view v = i.val;
    size_t cut = 0;
    for (int n = 0; n < 10 && cut < v.size(); ++n) {
      cut += common::DecodeRune(v, cut).width;
    }
    return GoQuote(v.substr(0, cut)) + "...";
  }
  return GoQuote(i.val);
}

constexpr std::string_view kOpenDelim = "{{";
constexpr std::string_view kCloseDelim = "}}";
constexpr std::string_view kLeftComment = "/*";
constexpr std::string_view kRightComment = "*/";
constexpr std::string_view kSpaceChars = " \t\r\n";
constexpr int kEofRune = -1;
constexpr size_t kTrimMarkerLen = 2;

bool IsSpace(int r) { return r == ' ' || r == '\t' || r == '\r' || r == '\n'; }

bool IsAlphaNumeric(int r) {
  if (r < 0) {
    return false;
  }
  if (r < 0x80) {
    return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9');
  }
  // Go asks unicode.IsLetter/IsDigit; printable non-ASCII runes stand in.
  return IsPrintRune(r);
}

bool HasLeftTrimMarker(std::string_view s) {
  return s.size() >= 2 && s[0] == '-' && IsSpace(static_cast<unsigned char>(s[1]));
}

bool HasRightTrimMarker(std::string_view s) {
  return s.size() >= 2 && IsSpace(static_cast<unsigned char>(s[0])) && s[1] == '-';
}

size_t CountNewlines(std::string_view s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {}

  Item NextItem() {
    item_ = Item{ItemType::kEof, pos_, "EOF", start_line_};
    State state = inside_action_ ? State::kInsideAction : State::kText;
    while (state != State::kStop) {
      state = Run(state);
    }
    return item_;
  }

 private:
  enum class State {
    kStop,
    kText,
    kAtLeftDelim,
    kComment,
    kAtRightDelim,
    kInsideAction,
    kSpace,
    kIdentifier,
    kField,
    kVariable,
    kChar,
    kNumber,
    kQuote,
    kRawQuote,
  };

  State Run(State s) {
    switch (s) {
      case State::kText:
        return LexText();
      case State::kAtLeftDelim:
        return LexLeftDelim();
      case State::kComment:
        return LexComment();
      case State::kAtRightDelim:
        return LexRightDelim();
      case State::kInsideAction:
        return LexInsideAction();
      case State::kSpace:
        return LexSpace();
      case State::kIdentifier:
        return LexIdentifier();
      case State::kField:
        return LexFieldOrVariable(ItemType::kField);
      case State::kVariable:
        return LexVariable();
      case State::kChar:
        return LexChar();
      case State::kNumber:
        return LexNumber();
      case State::kQuote:
        return LexQuote();
      case State::kRawQuote:
        return LexRawQuote();
      case State::kStop:
        break;
    }
    return State::kStop;
  }

  std::string_view Rest(size_t p) const {
    return p <= input_.size() ? input_.substr(p) : std::string_view();
  }

  int Next() {
    if (pos_ >= input_.size()) {
      at_eof_ = true;
      return kEofRune;
    }
    common::Rune r = common::DecodeRune(input_, pos_);
    pos_ += r.width;
    if (r.cp == '\n') {
      ++line_;
    }
    return static_cast<int>(r.cp);
  }

  int Peek() {
    int r = Next();
    Backup();
    return r;
  }

  void Backup() {
    if (at_eof_ || pos_ == 0) {
      return;
    }
    size_t start = pos_ - 1;
    while (start > 0 && pos_ - start < 4 &&
           (static_cast<unsigned char>(input_[start]) & 0xC0) == 0x80) {
      --start;
    }
    if (start + common::DecodeRune(input_, start).width != pos_) {
      start = pos_ - 1;
    }
    if (input_[start] == '\n') {
      --line_;
    }
    pos_ = start;
  }

  Item ThisItem(ItemType t) {
    Item i{t, start_, std::string(input_.substr(start_, pos_ - start_)), start_line_};
    start_ = pos_;
    start_line_ = line_;
    return i;
  }

  State Emit(ItemType t) { return EmitItem(ThisItem(t)); }

  State EmitItem(Item i) {
    item_ = std::move(i);
    return State::kStop;
  }

  void Ignore() {
    line_ += static_cast<int>(CountNewlines(input_.substr(start_, pos_ - start_)));
    start_ = pos_;
    start_line_ = line_;
  }

  bool Accept(std::string_view valid) {
    int r = Next();
    if (r >= 0 && r < 0x80 && valid.find(static_cast<char>(r)) != std::string_view::npos) {
      return true;
    }
    Backup();
    return false;
  }

  void AcceptRun(std::string_view valid) {
    for (;;) {
      int r = Next();
      if (!(r >= 0 && r < 0x80 && valid.find(static_cast<char>(r)) != std::string_view::npos)) {
        break;
      }
    }
    Backup();
  }

  State Errorf(std::string message) {
    item_ = Item{ItemType::kError, start_, std::move(message), start_line_};
    start_ = 0;
    pos_ = 0;
    input_ = input_.substr(0, 0);
    return State::kStop;
  }

  State LexText() {
    size_t x = input_.find(kOpenDelim, pos_);
    if (x != std::string_view::npos) {
      if (x > pos_) {
        pos_ = x;
        size_t trim = 0;
        if (HasLeftTrimMarker(Rest(pos_ + kOpenDelim.size()))) {
          std::string_view text = input_.substr(start_, pos_ - start_);
          size_t keep = text.find_last_not_of(kSpaceChars);
          trim = keep == std::string_view::npos ? text.size() : text.size() - keep - 1;
        }
        pos_ -= trim;
        line_ += static_cast<int>(CountNewlines(input_.substr(start_, pos_ - start_)));
        Item i = ThisItem(ItemType::kText);
        pos_ += trim;
        Ignore();
        if (!i.val.empty()) {
          return EmitItem(std::move(i));
        }
      }
      return State::kAtLeftDelim;
    }
    pos_ = input_.size();
    if (pos_ > start_) {
      line_ += static_cast<int>(CountNewlines(input_.substr(start_, pos_ - start_)));
      return Emit(ItemType::kText);
    }
    return Emit(ItemType::kEof);
  }

  std::pair<bool, bool> AtRightDelim() const {
    if (HasRightTrimMarker(Rest(pos_)) && Rest(pos_ + kTrimMarkerLen).starts_with(kCloseDelim)) {
      return {true, true};
    }
    if (Rest(pos_).starts_with(kCloseDelim)) {
      return {true, false};
    }
    return {false, false};
  }

  static size_t LeftTrimLength(std::string_view s) {
    size_t keep = s.find_first_not_of(kSpaceChars);
    return keep == std::string_view::npos ? s.size() : keep;
  }

  State LexLeftDelim() {
    pos_ += kOpenDelim.size();
    bool trim = HasLeftTrimMarker(Rest(pos_));
    size_t after_marker = trim ? kTrimMarkerLen : 0;
    if (Rest(pos_ + after_marker).starts_with(kLeftComment)) {
      pos_ += after_marker;
      Ignore();
      return State::kComment;
    }
    Item i = ThisItem(ItemType::kLeftDelim);
    inside_action_ = true;
    pos_ += after_marker;
    Ignore();
    paren_depth_ = 0;
    return EmitItem(std::move(i));
  }

  State LexComment() {
    pos_ += kLeftComment.size();
    size_t x = input_.find(kRightComment, pos_);
    if (x == std::string_view::npos) {
      return Errorf("unclosed comment");
    }
    pos_ = x + kRightComment.size();
    auto [delim, trim] = AtRightDelim();
    if (!delim) {
      return Errorf("comment ends before closing delimiter");
    }
    line_ += static_cast<int>(CountNewlines(input_.substr(start_, pos_ - start_)));
    ThisItem(ItemType::kText);  // the comment, discarded
    if (trim) {
      pos_ += kTrimMarkerLen;
    }
    pos_ += kCloseDelim.size();
    if (trim) {
      pos_ += LeftTrimLength(Rest(pos_));
    }
    Ignore();
    return State::kText;
  }

  State LexRightDelim() {
    bool trim = AtRightDelim().second;
    if (trim) {
      pos_ += kTrimMarkerLen;
      Ignore();
    }
    pos_ += kCloseDelim.size();
    Item i = ThisItem(ItemType::kRightDelim);
    if (trim) {
      pos_ += LeftTrimLength(Rest(pos_));
      Ignore();
    }
    inside_action_ = false;
    return EmitItem(std::move(i));
  }

  State LexInsideAction() {
    if (AtRightDelim().first) {
      if (paren_depth_ == 0) {
        return State::kAtRightDelim;
      }
      return Errorf("unclosed left paren");
    }
    int r = Next();
    if (r == kEofRune) {
      return Errorf("unclosed action");
    }
    if (IsSpace(r)) {
      Backup();  // put the space back in case we have " -}}"
      return State::kSpace;
    }
    switch (r) {
      case '=':
        return Emit(ItemType::kAssign);
      case ':':
        if (Next() != '=') {
          return Errorf("expected :=");
        }
        return Emit(ItemType::kDeclare);
      case '|':
        return Emit(ItemType::kPipe);
      case '"':
        return State::kQuote;
      case '`':
        return State::kRawQuote;
      case '$':
        return State::kVariable;
      case '\'':
        return State::kChar;
      case '(':
        ++paren_depth_;
        return Emit(ItemType::kLeftParen);
      case ')':
        --paren_depth_;
        if (paren_depth_ < 0) {
          return Errorf("unexpected right paren");
        }
        return Emit(ItemType::kRightParen);
      default:
        break;
    }
    if (r == '.') {
      if (pos_ < input_.size()) {
        char c = input_[pos_];
        if (c < '0' || c > '9') {
          return State::kField;
        }
      }
      Backup();
      return State::kNumber;
    }
    if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
      Backup();
      return State::kNumber;
    }
    if (IsAlphaNumeric(r)) {
      Backup();
      return State::kIdentifier;
    }
    if (r < 0x80 && r >= 0x20 && r != 0x7F) {
      return Emit(ItemType::kChar);
    }
    return Errorf("unrecognized character in action: " + DescribeRune(r));
  }

  State LexSpace() {
    int num_spaces = 0;
    while (IsSpace(Peek())) {
      Next();
      ++num_spaces;
    }
    if (HasRightTrimMarker(Rest(pos_ - 1)) &&
        Rest(pos_ - 1 + kTrimMarkerLen).starts_with(kCloseDelim)) {
      Backup();  // before the space
      if (num_spaces == 1) {
        return State::kAtRightDelim;
      }
    }
    return Emit(ItemType::kSpace);
  }

  State LexIdentifier() {
    for (;;) {
      int r = Next();
      if (IsAlphaNumeric(r)) {
        continue;
      }
      Backup();
      std::string_view word = input_.substr(start_, pos_ - start_);
      if (!AtTerminator()) {
        return Errorf("bad character " + DescribeRune(r));
      }
      ItemType kw = KeywordType(word);
      if (kw != ItemType::kError) {
        return Emit(kw);
      }
      if (word == "true" || word == "false") {
        return Emit(ItemType::kBool);
      }
      return Emit(ItemType::kIdentifier);
    }
  }

  State LexVariable() {
    if (AtTerminator()) {  // nothing interesting follows -> "$"
      return Emit(ItemType::kVariable);
    }
    return LexFieldOrVariable(ItemType::kVariable);
  }

  State LexFieldOrVariable(ItemType type) {
    if (AtTerminator()) {  // nothing interesting follows -> "." or "$"
      return Emit(type == ItemType::kVariable ? ItemType::kVariable : ItemType::kDot);
    }
    int r;
    for (;;) {
      r = Next();
      if (!IsAlphaNumeric(r)) {
        Backup();
        break;
      }
    }
    if (!AtTerminator()) {
      return Errorf("bad character " + DescribeRune(r));
    }
    return Emit(type);
  }

  bool AtTerminator() {
    int r = Peek();
    if (IsSpace(r)) {
      return true;
    }
    switch (r) {
      case kEofRune:
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
        return true;
      default:
        return Rest(pos_).starts_with(kCloseDelim);
    }
  }

  State LexChar() {
    for (;;) {
      int r = Next();
      if (r == '\\') {
        int e = Next();
        if (e != kEofRune && e != '\n') {
          continue;
        }
        return Errorf("unterminated character constant");
      }
      if (r == kEofRune || r == '\n') {
        return Errorf("unterminated character constant");
      }
      if (r == '\'') {
        break;
      }
    }
    return Emit(ItemType::kCharConstant);
  }

  State LexNumber() {
    if (!ScanNumber()) {
      return Errorf("bad number syntax: " + GoQuote(input_.substr(start_, pos_ - start_)));
    }
    int sign = Peek();
    if (sign == '+' || sign == '-') {
      // Complex: 1+2i. No spaces, must end in 'i'.
      if (!ScanNumber() || input_[pos_ - 1] != 'i') {
        return Errorf("bad number syntax: " + GoQuote(input_.substr(start_, pos_ - start_)));
      }
      return Emit(ItemType::kComplex);
    }
    return Emit(ItemType::kNumber);
  }

  bool ScanNumber() {
    Accept("+-");
    std::string_view digits = "0123456789_";
    if (Accept("0")) {
      if (Accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (Accept("oO")) {
        digits = "01234567_";
      } else if (Accept("bB")) {
        digits = "01_";
      }
    }
    AcceptRun(digits);
    if (Accept(".")) {
      AcceptRun(digits);
    }
    if (digits.size() == 10 + 1 && Accept("eE")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    if (digits.size() == 16 + 6 + 1 && Accept("pP")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    Accept("i");
    if (IsAlphaNumeric(Peek())) {
      Next();
      return false;
    }
    return true;
  }

  State LexQuote() {
    for (;;) {
      int r = Next();
      if (r == '\\') {
        int e = Next();
        if (e != kEofRune && e != '\n') {
          continue;
        }
        return Errorf("unterminated quoted string");
      }
      if (r == kEofRune || r == '\n') {
        return Errorf("unterminated quoted string");
      }
      if (r == '"') {
        break;
      }
    }
    return Emit(ItemType::kString);
  }

  State LexRawQuote() {
    for (;;) {
      int r = Next();
      if (r == kEofRune) {
        return Errorf("unterminated raw quoted string");
      }
      if (r == '`') {
        break;
      }
    }
    return Emit(ItemType::kRawString);
  }

  std::string_view input_;
  size_t pos_ = 0;
  size_t start_ = 0;
  bool at_eof_ = false;
  int paren_depth_ = 0;
  int line_ = 1;
  int start_line_ = 1;
  Item item_;
  bool inside_action_ = false;
};

// ---------------------------------------------------------------------------
// Literals (strconv.Unquote / UnquoteChar).

struct UnquotedChar {
  int32_t value;
  bool multibyte;
  std::string_view tail;
};

std::optional<int> HexDigit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
    return (c | 0x20) - 'a' + 10;
  }
  return std::nullopt;
}

std::optional<UnquotedChar> UnquoteChar(std::string_view s, char quote) {
  if (s.empty()) {
    return std::nullopt;
  }
  auto c = static_cast<unsigned char>(s[0]);
  if (c == static_cast<unsigned char>(quote) && (quote == '\'' || quote == '"')) {
    return std::nullopt;
  }
  if (c >= 0x80) {
    common::Rune r = common::DecodeRune(s, 0);
    return UnquotedChar{static_cast<int32_t>(r.cp), true, s.substr(r.width)};
  }
  if (c != '\\') {
    return UnquotedChar{c, false, s.substr(1)};
  }
  if (s.size() <= 1) {
    return std::nullopt;
  }
  char e = s[1];
  s.remove_prefix(2);
  switch (e) {
    case 'a':
      return UnquotedChar{'\a', false, s};
    case 'b':
      return UnquotedChar{'\b', false, s};
    case 'f':
      return UnquotedChar{'\f', false, s};
    case 'n':
      return UnquotedChar{'\n', false, s};
    case 'r':
      return UnquotedChar{'\r', false, s};
    case 't':
      return UnquotedChar{'\t', false, s};
    case 'v':
      return UnquotedChar{'\v', false, s};
    case 'x':
    case 'u':
    case 'U': {
      size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      if (s.size() < n) {
        return std::nullopt;
      }
      int32_t v = 0;
      for (size_t j = 0; j < n; ++j) {
        auto d = HexDigit(s[j]);
        if (!d) {
          return std::nullopt;
        }
        v = (v << 4) | *d;
      }
      s.remove_prefix(n);
      if (e == 'x') {
        return UnquotedChar{v, false, s};
      }
      if (v < 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        return std::nullopt;
      }
      return UnquotedChar{v, true, s};
    }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
      int32_t v = e - '0';
      if (s.size() < 2) {
        return std::nullopt;
      }
      for (size_t j = 0; j < 2; ++j) {
        if (s[j] < '0' || s[j] > '7') {
          return std::nullopt;
        }
        v = (v << 3) | (s[j] - '0');
      }
      if (v > 255) {
        return std::nullopt;
      }
      s.remove_prefix(2);
      return UnquotedChar{v, false, s};
    }
    case '\\':
      return UnquotedChar{'\\', false, s};
    case '\'':
    case '"':
      if (e != quote) {
        return std::nullopt;
      }
      return UnquotedChar{e, false, s};
    default:
      return std::nullopt;
  }
}

std::optional<std::string> Unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != s.back()) {
    return std::nullopt;
  }
  char quote = s.front();
  std::string_view body = s.substr(1, s.size() - 2);
  if (quote == '`') {
    if (body.find('`') != std::string_view::npos) {
      return std::nullopt;
    }
    std::string out;
    for (char c : body) {
      if (c != '\r') {
        out.push_back(c);
      }
    }
    return out;
  }
  if (quote != '"' || body.find('\n') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string out;
  while (!body.empty()) {
    auto c = UnquoteChar(body, quote);
    if (!c) {
      return std::nullopt;
    }
    if (c->value < 0x80 || !c->multibyte) {
      out.push_back(static_cast<char>(c->value));
    } else {
      AppendRune(out, c->value);
    }
    body = c->tail;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Parser: a port of Go's text/template/parse/parse.go.

using TreeSet = std::map<std::string, std::shared_ptr<Tree>, std::less<>>;

class Parser {
 public:
  Parser(std::string name, std::shared_ptr<const std::string> text, int max_depth)
      : lex_(*text), name_(std::move(name)), text_(std::move(text)), max_depth_(max_depth) {}

  Result<TreeSet> Run() {
    vars_ = {"$"};
    auto root = NewNode(NodeType::kList, Peek().pos);
    while (Peek().type != ItemType::kEof) {
      if (Peek().type == ItemType::kLeftDelim) {
        Item delim = Next();
        if (NextNonSpace().type == ItemType::kDefine) {
          MNEME_RETURN_IF_ERROR(ParseDefinition());
          continue;
        }
        Backup2(std::move(delim));
      }
      MNEME_TRY(NodePtr n, TextOrAction());
      if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
        return Errorf("unexpected " + NodeString(*n));
      }
      root->nodes.push_back(std::move(n));
    }
    MNEME_RETURN_IF_ERROR(Add(name_, std::move(root)));
    return std::move(tree_set_);
  }

 private:
  NodePtr NewNode(NodeType type, size_t pos, int line = 0) {
    auto n = std::make_unique<Node>();
    n->type = type;
    n->pos = pos;
    n->line = line;
    return n;
  }

  tl::unexpected<Error> Errorf(const std::string& message) const {
    return tl::unexpected(InvalidArgument("template: " + name_ + ":" +
                                          std::to_string(token_[0].line) + ": " + message));
  }

  Item Next() {
    if (peek_count_ > 0) {
      --peek_count_;
    } else {
      token_[0] = lex_.NextItem();
    }
    return token_[peek_count_];
  }

  void Backup() { ++peek_count_; }

  void Backup2(Item t1) {
    token_[1] = std::move(t1);
    peek_count_ = 2;
  }

  void Backup3(Item t2, Item t1) {
    token_[1] = std::move(t1);
    token_[2] = std::move(t2);
    peek_count_ = 3;
  }

  Item Peek() {
    if (peek_count_ > 0) {
      return token_[peek_count_ - 1];
    }
    peek_count_ = 1;
    token_[0] = lex_.NextItem();
    return token_[0];
  }

  Item NextNonSpace() {
    Item token;
    do {
      token = Next();
    } while (token.type == ItemType::kSpace);
    return token;
  }

  Item PeekNonSpace() {
    Item token = NextNonSpace();
    Backup();
    return token;
  }

  Result<Item> Expect(ItemType expected, std::string_view context) {
    Item token = NextNonSpace();
    if (token.type != expected) {
      return Unexpected(token, context);
    }
    return token;
  }

  Result<Item> ExpectOneOf(ItemType a, ItemType b, std::string_view context) {
    Item token = NextNonSpace();
    if (token.type != a && token.type != b) {
      return Unexpected(token, context);
    }
    return token;
  }

  tl::unexpected<Error> Unexpected(const Item& token, std::string_view context) {
    if (token.type == ItemType::kError) {
      std::string extra;
      if (action_line_ != 0 && action_line_ != token.line) {
        extra = " in action started at " + name_ + ":" + std::to_string(action_line_);
        if (token.val.ends_with(" action")) {
          extra = extra.substr(std::string_view(" in action").size());
        }
      }
      return Errorf(ItemString(token) + extra);
    }
    return Errorf("unexpected " + ItemString(token) + " in " + std::string(context));
  }

  Status Add(const std::string& name, NodePtr root) {
    auto it = tree_set_.find(name);
    if (it == tree_set_.end() || IsEmptyTree(*it->second->root)) {
      auto tree = std::make_shared<Tree>();
      tree->name = name;
      tree->parse_name = name_;
      tree->text = text_;
      tree->root = std::move(root);
      tree_set_[name] = std::move(tree);
      return OkStatus();
    }
    if (!IsEmptyTree(*root)) {
      return Errorf("template: multiple definition of template " + GoQuote(name));
    }
    return OkStatus();
  }

  // Runs `body` with a fresh variable scope and range depth, as Go does for
  // the separate Tree a {{define}} or {{block}} body is parsed into.
  template <typename F>
  auto InNewTree(F body) {
    std::vector<std::string> saved_vars = std::move(vars_);
    int saved_range_depth = range_depth_;
    vars_ = {"$"};
    range_depth_ = 0;
    auto result = body();
    vars_ = std::move(saved_vars);
    range_depth_ = saved_range_depth;
    return result;
  }

  Status ParseDefinition() {
    return InNewTree([&]() -> Status {
      constexpr std::string_view kContext = "define clause";
      MNEME_TRY(Item name, ExpectOneOf(ItemType::kString, ItemType::kRawString, kContext));
      auto unquoted = Unquote(name.val);
      if (!unquoted) {
        return Errorf("invalid syntax");
      }
      MNEME_RETURN_IF_ERROR(Expect(ItemType::kRightDelim, kContext));
      MNEME_TRY(auto list_end, ItemList());
      if (list_end.second->type != NodeType::kEnd) {
        return Errorf("unexpected " + NodeString(*list_end.second) + " in " +
                      std::string(kContext));
      }
      return Add(*unquoted, std::move(list_end.first));
    });
  }

  // itemList: textOrAction*, terminated by {{end}} or {{else}} (returned).
  Result<std::pair<NodePtr, NodePtr>> ItemList() {
    auto list = NewNode(NodeType::kList, PeekNonSpace().pos);
    while (PeekNonSpace().type != ItemType::kEof) {
      MNEME_TRY(NodePtr n, TextOrAction());
      if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
        return std::make_pair(std::move(list), std::move(n));
      }
      list->nodes.push_back(std::move(n));
    }
    return Errorf("unexpected EOF");
  }

  Result<NodePtr> TextOrAction() {
    Item token = NextNonSpace();
    switch (token.type) {
      case ItemType::kText: {
        auto n = NewNode(NodeType::kText, token.pos, token.line);
        n->text = std::move(token.val);
        return n;
      }
      case ItemType::kLeftDelim: {
        action_line_ = token.line;
        auto result = Action();
        action_line_ = 0;
        return result;
      }
      default:
        return Unexpected(token, "input");
    }
  }

  Result<NodePtr> Action() {
    Item token = NextNonSpace();
    switch (token.type) {
      case ItemType::kBlock:
        return BlockControl();
      case ItemType::kBreak:
      case ItemType::kContinue:
        return BreakOrContinue(token);
      case ItemType::kElse:
        return ElseControl();
      case ItemType::kEnd:
        return EndControl();
      case ItemType::kIf:
        return Control(NodeType::kIf, "if");
      case ItemType::kRange:
        return Control(NodeType::kRange, "range");
      case ItemType::kTemplate:
        return TemplateControl();
      case ItemType::kWith:
        return Control(NodeType::kWith, "with");
      default:
        break;
    }
    Backup();
    token = Peek();
    MNEME_TRY(NodePtr pipe, Pipeline("command", ItemType::kRightDelim));
    auto n = NewNode(NodeType::kAction, token.pos, token.line);
    n->pipe = std::move(pipe);
    return n;
  }

  Result<NodePtr> BreakOrContinue(const Item& keyword) {
    bool is_break = keyword.type == ItemType::kBreak;
    Item token = NextNonSpace();
    if (token.type != ItemType::kRightDelim) {
      return Unexpected(token, is_break ? "{{break}}" : "{{continue}}");
    }
    if (range_depth_ == 0) {
      return Errorf(is_break ? "{{break}} outside {{range}}" : "{{continue}} outside {{range}}");
    }
    return NewNode(is_break ? NodeType::kBreak : NodeType::kContinue, keyword.pos, keyword.line);
  }

  // Pipeline: declarations? command ('|' command)*
  Result<NodePtr> Pipeline(std::string_view context, ItemType end) {
    Item first = PeekNonSpace();
    auto pipe = NewNode(NodeType::kPipe, first.pos, first.line);
    for (bool more_decls = true; more_decls;) {
      more_decls = false;
      Item v = PeekNonSpace();
      if (v.type != ItemType::kVariable) {
        break;
      }
      Next();
      // Space is a token, so "$x foo" needs three tokens of look-ahead to tell a
      // declaration from an argument: remember the token after the variable.
      Item token_after_variable = Peek();
      Item next = PeekNonSpace();
      if (next.type == ItemType::kAssign || next.type == ItemType::kDeclare) {
        pipe->is_assign = next.type == ItemType::kAssign;
        NextNonSpace();
        pipe->decl.push_back(v.val);
        vars_.push_back(v.val);
      } else if (next.type == ItemType::kChar && next.val == ",") {
        NextNonSpace();
        pipe->decl.push_back(v.val);
        vars_.push_back(v.val);
        if (context == "range" && pipe->decl.size() < 2) {
          ItemType t = PeekNonSpace().type;
          if (t == ItemType::kVariable || t == ItemType::kRightDelim ||
              t == ItemType::kRightParen) {
            more_decls = true;  // second variable of a range
            continue;
          }
          return Errorf("range can only initialize variables");
        }
        return Errorf("too many declarations in " + std::string(context));
      } else if (token_after_variable.type == ItemType::kSpace) {
        Backup3(std::move(v), std::move(token_after_variable));
      } else {
        Backup2(std::move(v));
      }
    }
    for (;;) {
      Item token = NextNonSpace();
      if (token.type == end) {
        MNEME_RETURN_IF_ERROR(CheckPipeline(*pipe, context));
        return pipe;
      }
      switch (token.type) {
        case ItemType::kBool:
        case ItemType::kCharConstant:
        case ItemType::kComplex:
        case ItemType::kDot:
        case ItemType::kField:
        case ItemType::kIdentifier:
        case ItemType::kNumber:
        case ItemType::kNil:
        case ItemType::kRawString:
        case ItemType::kString:
        case ItemType::kVariable:
        case ItemType::kLeftParen: {
          Backup();
          MNEME_TRY(NodePtr cmd, Command());
          pipe->nodes.push_back(std::move(cmd));
          break;
        }
        default:
          return Unexpected(token, context);
      }
    }
  }

  Status CheckPipeline(const Node& pipe, std::string_view context) {
    if (pipe.nodes.empty()) {
      return Errorf("missing value for " + std::string(context));
    }
    for (size_t i = 1; i < pipe.nodes.size(); ++i) {
      switch (pipe.nodes[i]->nodes[0]->type) {
        case NodeType::kBool:
        case NodeType::kDot:
        case NodeType::kNil:
        case NodeType::kNumber:
        case NodeType::kString:
          return Errorf("non executable command in pipeline stage " + std::to_string(i + 1));
        default:
          break;
      }
    }
    return OkStatus();
  }

  // if / range / with, including {{else if}} and {{else with}} chains.
  Result<NodePtr> Control(NodeType type, std::string_view context) {
    if (depth_ >= max_depth_) {
      return Errorf("max nesting depth exceeded");
    }
    ++depth_;
    size_t mark = vars_.size();
    MNEME_TRY(NodePtr pipe, Pipeline(context, ItemType::kRightDelim));
    if (type == NodeType::kRange) {
      ++range_depth_;
    }
    MNEME_TRY(auto list_next, ItemList());
    if (type == NodeType::kRange) {
      --range_depth_;
    }
    NodePtr else_list;
    if (list_next.second->type == NodeType::kElse) {
      // "{{else if ...}}" and "{{else with ...}}" are "{{else}}{{if ...}}...{{end}}{{end}}":
      // elseControl left the "if"/"with" token pending.
      if (context == "if" && Peek().type == ItemType::kIf) {
        Next();
        else_list = NewNode(NodeType::kList, list_next.second->pos);
        MNEME_TRY(NodePtr nested, Control(NodeType::kIf, "if"));
        else_list->nodes.push_back(std::move(nested));
      } else if (context == "with" && Peek().type == ItemType::kWith) {
        Next();
        else_list = NewNode(NodeType::kList, list_next.second->pos);
        MNEME_TRY(NodePtr nested, Control(NodeType::kWith, "with"));
        else_list->nodes.push_back(std::move(nested));
      } else {
        MNEME_TRY(auto else_next, ItemList());
        if (else_next.second->type != NodeType::kEnd) {
          return Errorf("expected end; found " + NodeString(*else_next.second));
        }
        else_list = std::move(else_next.first);
      }
    }
    vars_.resize(mark);
    --depth_;
    auto n = NewNode(type, pipe->pos, pipe->line);
    n->pipe = std::move(pipe);
    n->list = std::move(list_next.first);
    n->else_list = std::move(else_list);
    return n;
  }

  Result<NodePtr> EndControl() {
    MNEME_TRY(Item token, Expect(ItemType::kRightDelim, "end"));
    return NewNode(NodeType::kEnd, token.pos, token.line);
  }

  Result<NodePtr> ElseControl() {
    Item peek = PeekNonSpace();
    if (peek.type == ItemType::kIf || peek.type == ItemType::kWith) {
      return NewNode(NodeType::kElse, peek.pos, peek.line);
    }
    MNEME_TRY(Item token, Expect(ItemType::kRightDelim, "else"));
    return NewNode(NodeType::kElse, token.pos, token.line);
  }

  Result<std::string> ParseTemplateName(const Item& token, std::string_view context) {
    if (token.type == ItemType::kString || token.type == ItemType::kRawString) {
      auto s = Unquote(token.val);
      if (!s) {
        return Errorf("invalid syntax");
      }
      return *s;
    }
    return Unexpected(token, context);
  }

  Result<NodePtr> BlockControl() {
    constexpr std::string_view kContext = "block clause";
    if (depth_ >= max_depth_) {
      return Errorf("max nesting depth exceeded");
    }
    Item token = NextNonSpace();
    MNEME_TRY(std::string name, ParseTemplateName(token, kContext));
    MNEME_TRY(NodePtr pipe, Pipeline(kContext, ItemType::kRightDelim));
    ++depth_;
    Status body = InNewTree([&]() -> Status {
      MNEME_TRY(auto list_end, ItemList());
      if (list_end.second->type != NodeType::kEnd) {
        return Errorf("unexpected " + NodeString(*list_end.second) + " in " +
                      std::string(kContext));
      }
      return Add(name, std::move(list_end.first));
    });
    --depth_;
    MNEME_RETURN_IF_ERROR(body);
    auto n = NewNode(NodeType::kTemplate, token.pos, token.line);
    n->text = std::move(name);
    n->pipe = std::move(pipe);
    return n;
  }

  Result<NodePtr> TemplateControl() {
    constexpr std::string_view kContext = "template clause";
    Item token = NextNonSpace();
    MNEME_TRY(std::string name, ParseTemplateName(token, kContext));
    NodePtr pipe;
    if (NextNonSpace().type != ItemType::kRightDelim) {
      Backup();
      MNEME_TRY(pipe, Pipeline(kContext, ItemType::kRightDelim));
    }
    auto n = NewNode(NodeType::kTemplate, token.pos, token.line);
    n->text = std::move(name);
    n->pipe = std::move(pipe);
    return n;
  }

  // command: operand (space operand)*, up to a pipe or the closing delimiter.
  Result<NodePtr> Command() {
    auto cmd = NewNode(NodeType::kCommand, PeekNonSpace().pos);
    for (;;) {
      PeekNonSpace();  // skip leading spaces
      MNEME_TRY(NodePtr operand, Operand());
      if (operand) {
        cmd->nodes.push_back(std::move(operand));
      }
      Item token = Next();
      if (token.type == ItemType::kSpace) {
        continue;
      }
      if (token.type == ItemType::kRightDelim || token.type == ItemType::kRightParen) {
        Backup();
      } else if (token.type != ItemType::kPipe) {
        return Unexpected(token, "operand");
      }
      break;
    }
    if (cmd->nodes.empty()) {
      return Errorf("empty command");
    }
    return cmd;
  }

  // operand: term .Field*
  Result<NodePtr> Operand() {
    MNEME_TRY(NodePtr node, Term());
    if (!node) {
      return node;
    }
    if (Peek().type == ItemType::kField) {
      size_t chain_pos = Peek().pos;
      std::vector<std::string> fields;
      while (Peek().type == ItemType::kField) {
        fields.push_back(Next().val.substr(1));
      }
      switch (node->type) {
        case NodeType::kField:
        case NodeType::kVariable:
          node->pos = chain_pos;
          node->idents.insert(node->idents.end(), fields.begin(), fields.end());
          break;
        case NodeType::kBool:
        case NodeType::kString:
        case NodeType::kNumber:
        case NodeType::kNil:
        case NodeType::kDot:
          return Errorf("unexpected . after term " + GoQuote(NodeString(*node)));
        default: {
          auto chain = NewNode(NodeType::kChain, chain_pos);
          chain->pipe = std::move(node);
          chain->idents = std::move(fields);
          node = std::move(chain);
        }
      }
    }
    return node;
  }

  // term: literal, function, ., .Field, $x, '(' pipeline ')'. Null when the next
  // item is not a term.
  Result<NodePtr> Term() {
    Item token = NextNonSpace();
    switch (token.type) {
      case ItemType::kIdentifier: {
        if (FindFunc(token.val) == nullptr) {
          return Errorf("function " + GoQuote(token.val) + " not defined");
        }
        auto n = NewNode(NodeType::kIdentifier, token.pos);
        n->text = token.val;
        return n;
      }
      case ItemType::kDot:
        return NewNode(NodeType::kDot, token.pos);
      case ItemType::kNil:
        return NewNode(NodeType::kNil, token.pos);
      case ItemType::kVariable: {
        if (std::find(vars_.begin(), vars_.end(), token.val) == vars_.end()) {
          return Errorf("undefined variable " + GoQuote(token.val));
        }
        auto n = NewNode(NodeType::kVariable, token.pos);
        n->idents = {token.val};
        return n;
      }
      case ItemType::kField: {
        auto n = NewNode(NodeType::kField, token.pos);
        n->idents = {token.val.substr(1)};
        return n;
      }
      case ItemType::kBool: {
        auto n = NewNode(NodeType::kBool, token.pos);
        n->truth = token.val == "true";
        return n;
      }
      case ItemType::kCharConstant:
      case ItemType::kComplex:
      case ItemType::kNumber:
        return NewNumber(token);
      case ItemType::kLeftParen: {
        if (depth_ >= max_depth_) {
          return Errorf("max expression depth exceeded");
        }
        ++depth_;
        auto pipe = Pipeline("parenthesized pipeline", ItemType::kRightParen);
        --depth_;
        return pipe;
      }
      case ItemType::kString:
      case ItemType::kRawString: {
        auto s = Unquote(token.val);
        if (!s) {
          return Errorf("invalid syntax");
        }
        auto n = NewNode(NodeType::kString, token.pos);
        n->text = token.val;
        n->str = std::move(*s);
        return n;
      }
      default:
        Backup();
        return NodePtr();
    }
  }

  // parse.newNumber.
  Result<NodePtr> NewNumber(const Item& token) {
    const std::string& text = token.val;
    auto n = NewNode(NodeType::kNumber, token.pos);
    n->text = text;
    if (token.type == ItemType::kCharConstant) {
      auto c = UnquoteChar(std::string_view(text).substr(1), text[0]);
      if (!c) {
        return Errorf("invalid syntax");
      }
      if (c->tail != "'") {
        return Errorf("malformed character constant: " + text);
      }
      n->is_int = n->is_uint = n->is_float = true;
      n->int_value = c->value;
      n->float_value = c->value;
      return n;
    }
    // Go makes an imaginary literal complex when the part before 'i' is a float.
    if (token.type == ItemType::kComplex ||
        (!text.empty() && text.back() == 'i' &&
         ParseGoFloat(std::string_view(text).substr(0, text.size() - 1)).has_value())) {
      return Errorf("complex constants are not supported: " + text);
    }
    auto u = ParseGoUint(text);
    n->is_uint = u.has_value();
    auto i = ParseGoInt(text);
    if (i) {
      n->is_int = true;
      n->int_value = *i;
      if (*i == 0) {
        n->is_uint = true;  // in case of -0
      }
    }
    if (n->is_int) {
      n->is_float = true;
      n->float_value = static_cast<double>(n->int_value);
    } else if (n->is_uint) {
      n->is_float = true;
      n->float_value = static_cast<double>(*u);
    } else {
      auto f = ParseGoFloat(text);
      if (f) {
        if (text.find_first_of(".eEpP") == std::string::npos) {
          return Errorf("integer overflow: " + text);
        }
        n->is_float = true;
        n->float_value = *f;
        if (std::abs(*f) < 9.2e18 && static_cast<double>(static_cast<int64_t>(*f)) == *f) {
          n->is_int = true;
          n->int_value = static_cast<int64_t>(*f);
        }
      }
    }
    if (!n->is_int && !n->is_uint && !n->is_float) {
      return Errorf("illegal number syntax: " + GoQuote(text));
    }
    return n;
  }

  Lexer lex_;
  std::string name_;
  std::shared_ptr<const std::string> text_;
  int max_depth_;
  Item token_[3];
  int peek_count_ = 0;
  std::vector<std::string> vars_;
  int action_line_ = 0;
  int range_depth_ = 0;
  int depth_ = 0;
  TreeSet tree_set_;
};

// ---------------------------------------------------------------------------
// Executor: a port of Go's text/template/exec.go over JSON values.

enum class Flow { kNormal, kBreak, kContinue };

std::pair<std::string, std::string> ErrorContext(const Tree& tree, const Node& n) {
  std::string_view text =
      std::string_view(*tree.text).substr(0, std::min(n.pos, tree.text->size()));
  size_t nl = text.rfind('\n');
  size_t byte_num = nl == std::string_view::npos ? n.pos : n.pos - (nl + 1);
  size_t line = 1 + CountNewlines(text);
  return {tree.parse_name + ":" + std::to_string(line) + ":" + std::to_string(byte_num),
          NodeString(n)};
}

bool IsPredefinedEscaper(const Node& cmd) {
  const Node& first = *cmd.nodes[0];
  return first.type == NodeType::kIdentifier && (first.text == "html" || first.text == "urlquery");
}

bool EndsWithHtml(const Node& pipe) {
  const Node& first = *pipe.nodes.back()->nodes[0];
  return first.type == NodeType::kIdentifier && first.text == "html";
}

// Functions that only inspect their arguments; every other function builds a
// result from their contents and is charged for their size.
bool ReadsOnly(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "and",   "or",       "not",     "len", "index", "slice", "eq",  "ne",     "lt",
      "le",    "gt",       "ge",      "call", "default", "empty", "coalesce", "ternary",
      "get",   "hasKey",
  };
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

// The approximate size of a value's contents, counting at most up to `cap`.
size_t ApproxBytes(const Value& v, size_t cap) {
  if (v.kind == Kind::kString) {
    return v.s.size();
  }
  if (v.kind != Kind::kList && v.kind != Kind::kMap) {
    return 8;
  }
  size_t used = 0;
  std::vector<const nlohmann::json*> stack = {v.json};
  while (!stack.empty() && used <= cap) {
    const nlohmann::json* j = stack.back();
    stack.pop_back();
    used += 8;
    if (j->is_string()) {
      used += j->get_ref<const std::string&>().size();
    } else if (j->is_array()) {
      for (const auto& e : *j) {
        stack.push_back(&e);
      }
    } else if (j->is_object()) {
      for (const auto& [key, e] : j->items()) {
        used += key.size();
        stack.push_back(&e);
      }
    }
  }
  return used;
}

class Executor {
 public:
  Executor(const std::map<std::string, std::shared_ptr<const Tree>, std::less<>>& trees,
           Escaping escaping, const GoTemplateLimits& limits)
      : trees_(trees), escaping_(escaping), limits_(limits) {}

  Result<std::string> Run(const Tree& tree, const nlohmann::json& data) {
    tmpl_ = &tree;
    if (escaping_ == Escaping::kHtml) {
      MNEME_RETURN_IF_ERROR(CheckPredefinedEscapers(tree));
    }
    Value dot = Value::FromJson(data, Boxing::kUnboxed, nullptr);
    vars_.emplace_back("$", dot);
    MNEME_RETURN_IF_ERROR(Walk(dot, *tree.root));
    return std::move(out_);
  }

 private:
  using Vars = std::vector<std::pair<std::string, Value>>;

  class DepthGuard {
   public:
    explicit DepthGuard(int& depth) : depth_(depth) { ++depth_; }
    ~DepthGuard() { --depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    int& depth_;
  };

  void At(const Node& n) { node_ = &n; }

  tl::unexpected<Error> Errorf(const std::string& message) const {
    if (node_ == nullptr) {
      return tl::unexpected(InvalidArgument("template: " + tmpl_->name + ": " + message));
    }
    auto [location, context] = ErrorContext(*tmpl_, *node_);
    return tl::unexpected(InvalidArgument("template: " + location + ": executing " +
                                          GoQuote(tmpl_->name) + " at <" + context +
                                          ">: " + message));
  }

  Status Step() {
    if (++steps_ > limits_.max_steps) {
      return Errorf("execution exceeded " + std::to_string(limits_.max_steps) + " steps");
    }
    return OkStatus();
  }

  Status Charge(size_t bytes) {
    steps_ += static_cast<int64_t>(bytes / 256);
    return Step();
  }

  Status CheckDepth() {
    if (depth_ > limits_.max_exec_depth) {
      return Errorf("exceeded maximum template depth (" +
                    std::to_string(limits_.max_exec_depth) + ")");
    }
    return OkStatus();
  }

  // html/template rejects html and urlquery anywhere but at the end of a
  // printed pipeline, in every template the execution can reach.
  Status CheckPredefinedEscapers(const Tree& root) {
    std::set<std::string, std::less<>> seen = {root.name};
    std::deque<const Tree*> queue = {&root};
    while (!queue.empty()) {
      const Tree* tree = queue.front();
      queue.pop_front();
      std::vector<const Node*> stack = {tree->root.get()};
      while (!stack.empty()) {
        const Node* n = stack.back();
        stack.pop_back();
        switch (n->type) {
          case NodeType::kList:
            for (const auto& c : n->nodes) {
              stack.push_back(c.get());
            }
            break;
          case NodeType::kIf:
          case NodeType::kRange:
          case NodeType::kWith:
            stack.push_back(n->list.get());
            if (n->else_list) {
              stack.push_back(n->else_list.get());
            }
            break;
          case NodeType::kTemplate: {
            auto it = trees_.find(n->text);
            if (it != trees_.end() && seen.insert(n->text).second) {
              queue.push_back(it->second.get());
            }
            break;
          }
          case NodeType::kAction:
            if (n->pipe->decl.empty()) {
              const auto& cmds = n->pipe->nodes;
              for (size_t i = 0; i + 1 < cmds.size(); ++i) {
                if (IsPredefinedEscaper(*cmds[i])) {
                  auto [location, context] = ErrorContext(*tree, *n);
                  return tl::unexpected(InvalidArgument(
                      "html/template:" + location + ": predefined escaper " +
                      GoQuote(cmds[i]->nodes[0]->text) + " disallowed in template"));
                }
              }
            }
            break;
          default:
            break;
        }
      }
    }
    return OkStatus();
  }

  Status Write(std::string_view s) {
    if (out_.size() + s.size() > limits_.max_output_bytes) {
      return Errorf("output exceeds " + std::to_string(limits_.max_output_bytes) + " bytes");
    }
    out_.append(s);
    return OkStatus();
  }

  // Template text. html/template elides HTML comments.
  Status WriteText(std::string_view text) {
    if (escaping_ == Escaping::kText) {
      return Write(text);
    }
    size_t i = 0;
    while (i < text.size()) {
      if (in_html_comment_) {
        size_t end = text.find("-->", i);
        if (end == std::string_view::npos) {
          return OkStatus();
        }
        in_html_comment_ = false;
        i = end + 3;
        continue;
      }
      size_t start = text.find("<!--", i);
      if (start == std::string_view::npos) {
        return Write(text.substr(i));
      }
      MNEME_RETURN_IF_ERROR(Write(text.substr(i, start - i)));
      in_html_comment_ = true;
      i = start + 4;
    }
    return OkStatus();
  }

  Status PrintValue(const Node& action, const Value& v) {
    At(action);
    if (escaping_ == Escaping::kText) {
      if (!v.IsValid()) {
        return Write("<no value>");
      }
      auto s = FormatV(v);
      if (!s) {
        return Errorf(s.error().message());
      }
      return Write(*s);
    }
    if (in_html_comment_) {
      return OkStatus();
    }
    std::string s;
    if (v.kind == Kind::kString) {
      s = std::string(v.s);
    } else if (!v.IsNil()) {
      auto formatted = FormatV(v);
      if (!formatted) {
        return Errorf(formatted.error().message());
      }
      s = std::move(*formatted);
    }
    if (EndsWithHtml(*action.pipe)) {
      return Write(s);
    }
    return Write(HtmlTemplateEscape(s));
  }

  Result<Flow> Walk(const Value& dot, const Node& node) {
    At(node);
    MNEME_RETURN_IF_ERROR(Step());
    switch (node.type) {
      case NodeType::kAction: {
        // Variables declared here persist until the enclosing {{end}}.
        MNEME_TRY(Value val, EvalPipeline(dot, node.pipe.get()));
        if (node.pipe->decl.empty()) {
          MNEME_RETURN_IF_ERROR(PrintValue(node, val));
        }
        return Flow::kNormal;
      }
      case NodeType::kBreak:
        return Flow::kBreak;
      case NodeType::kContinue:
        return Flow::kContinue;
      case NodeType::kIf:
      case NodeType::kWith:
        return WalkIfOrWith(dot, node);
      case NodeType::kList:
        for (const auto& n : node.nodes) {
          MNEME_TRY(Flow flow, Walk(dot, *n));
          if (flow != Flow::kNormal) {
            return flow;
          }
        }
        return Flow::kNormal;
      case NodeType::kRange:
        return WalkRange(dot, node);
      case NodeType::kTemplate:
        return WalkTemplate(dot, node);
      case NodeType::kText:
        MNEME_RETURN_IF_ERROR(WriteText(node.text));
        return Flow::kNormal;
      default:
        return Errorf("unknown node: " + NodeString(node));
    }
  }

  Result<Flow> WalkIfOrWith(const Value& dot, const Node& node) {
    DepthGuard guard(depth_);
    MNEME_RETURN_IF_ERROR(CheckDepth());
    size_t mark = vars_.size();
    const Node* cur = &node;
    Flow flow = Flow::kNormal;
    for (;;) {
      MNEME_TRY(Value val, EvalPipeline(dot, cur->pipe.get()));
      if (Truth(val)) {
        MNEME_TRY(flow, Walk(cur->type == NodeType::kWith ? val : dot, *cur->list));
        break;
      }
      if (!cur->else_list) {
        break;
      }
      const Node& else_list = *cur->else_list;
      if (else_list.nodes.size() == 1 && (else_list.nodes[0]->type == NodeType::kIf ||
                                          else_list.nodes[0]->type == NodeType::kWith)) {
        // An else-if chain: iterate rather than recurse. Variables declared
        // along the chain stay visible to its later links, as in Go.
        cur = else_list.nodes[0].get();
        At(*cur);
        MNEME_RETURN_IF_ERROR(Step());
        continue;
      }
      MNEME_TRY(flow, Walk(dot, else_list));
      break;
    }
    vars_.erase(vars_.begin() + static_cast<std::ptrdiff_t>(mark), vars_.end());
    return flow;
  }

  Result<Flow> WalkRange(const Value& dot, const Node& r) {
    At(r);
    DepthGuard guard(depth_);
    MNEME_RETURN_IF_ERROR(CheckDepth());
    size_t outer_mark = vars_.size();
    MNEME_TRY(Value val, EvalPipeline(dot, r.pipe.get()));
    size_t mark = vars_.size();
    const auto& decl = r.pipe->decl;
    bool assign = r.pipe->is_assign;
    bool ran = false;
    auto one_iteration = [&](const Value& index, const Value& elem) -> Result<Flow> {
      ran = true;
      if (!decl.empty()) {
        if (assign) {
          MNEME_RETURN_IF_ERROR(SetVar(decl[0], decl.size() > 1 ? index : elem));
        } else {
          vars_[vars_.size() - 1].second = elem;
        }
      }
      if (decl.size() > 1) {
        if (assign) {
          MNEME_RETURN_IF_ERROR(SetVar(decl[1], elem));
        } else {
          vars_[vars_.size() - 2].second = index;
        }
      }
      MNEME_TRY(Flow flow, Walk(elem, *r.list));
      vars_.erase(vars_.begin() + static_cast<std::ptrdiff_t>(mark), vars_.end());
      return flow;
    };
    switch (val.kind) {
      case Kind::kList:
        for (size_t i = 0; i < val.json->size(); ++i) {
          Value elem = Value::FromJson((*val.json)[i], Boxing::kBoxed, val.owner);
          MNEME_TRY(Flow flow, one_iteration(Value::Int(static_cast<int64_t>(i)), elem));
          if (flow == Flow::kBreak) {
            break;
          }
        }
        break;
      case Kind::kMap:
        for (auto it = val.json->begin(); it != val.json->end(); ++it) {
          Value key = Value::StringView(it.key());
          key.owner = val.owner;
          Value elem = Value::FromJson(it.value(), Boxing::kBoxed, val.owner);
          MNEME_TRY(Flow flow, one_iteration(key, elem));
          if (flow == Flow::kBreak) {
            break;
          }
        }
        break;
      case Kind::kInt:
        if (decl.size() > 1) {
          MNEME_TRY(std::string s, FormatV(val));
          return Errorf("can't use " + s + " to iterate over more than one variable");
        }
        for (int64_t i = 0; i < val.i; ++i) {
          MNEME_TRY(Flow flow, one_iteration(Value::Int(i), Value::Int(i)));
          if (flow == Flow::kBreak) {
            break;
          }
        }
        break;
      case Kind::kInvalid:
        break;  // like an empty map
      default: {
        auto s = FormatV(val);
        return Errorf("range can't iterate over " + (s ? *s : std::string()));
      }
    }
    Flow flow = Flow::kNormal;
    if (!ran && r.else_list) {
      MNEME_TRY(flow, Walk(dot, *r.else_list));
    }
    vars_.erase(vars_.begin() + static_cast<std::ptrdiff_t>(outer_mark), vars_.end());
    return flow;
  }

  Result<Flow> WalkTemplate(const Value& dot, const Node& t) {
    At(t);
    auto it = trees_.find(t.text);
    if (it == trees_.end()) {
      return Errorf("template " + GoQuote(t.text) + " not defined");
    }
    DepthGuard guard(depth_);
    MNEME_RETURN_IF_ERROR(CheckDepth());
    MNEME_TRY(Value new_dot, EvalPipeline(dot, t.pipe.get()));
    const Tree* saved_tmpl = tmpl_;
    Vars saved_vars = std::move(vars_);
    vars_ = Vars{{"$", new_dot}};  // templates inherit no variables
    tmpl_ = it->second.get();
    auto result = Walk(new_dot, *tmpl_->root);
    tmpl_ = saved_tmpl;
    vars_ = std::move(saved_vars);
    if (!result) {
      return tl::unexpected(result.error());
    }
    return Flow::kNormal;
  }

  Status SetVar(const std::string& name, const Value& value) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) {
        it->second = value;
        return OkStatus();
      }
    }
    return Errorf("undefined variable: " + name);
  }

  Result<Value> VarValue(const std::string& name) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) {
        return it->second;
      }
    }
    return Errorf("undefined variable: " + name);
  }

  Result<Value> EvalPipeline(const Value& dot, const Node* pipe) {
    if (pipe == nullptr) {
      return Value::Invalid();
    }
    At(*pipe);
    std::optional<Value> value;
    for (const auto& cmd : pipe->nodes) {
      MNEME_TRY(Value v, EvalCommand(dot, *cmd, value ? &*value : nullptr));
      value = v.Unboxed();  // dig down one level, as Go does for interface{}
    }
    for (const auto& name : pipe->decl) {
      if (pipe->is_assign) {
        MNEME_RETURN_IF_ERROR(SetVar(name, *value));
      } else {
        vars_.emplace_back(name, *value);
      }
    }
    return *value;
  }

  // A parenthesized pipeline: counts towards the nesting limit.
  Result<Value> EvalNestedPipeline(const Value& dot, const Node& pipe) {
    DepthGuard guard(depth_);
    MNEME_RETURN_IF_ERROR(CheckDepth());
    return EvalPipeline(dot, &pipe);
  }

  Status NotAFunction(const Node& first, size_t nargs, const Value* final) {
    if (nargs > 1 || final != nullptr) {
      return Errorf("can't give argument to non-function " + NodeString(first));
    }
    return OkStatus();
  }

  Result<Value> EvalCommand(const Value& dot, const Node& cmd, const Value* final) {
    MNEME_RETURN_IF_ERROR(Step());
    const Node& first = *cmd.nodes[0];
    size_t nargs = cmd.nodes.size();
    switch (first.type) {
      case NodeType::kField:
        return EvalFieldNode(dot, first, nargs, final);
      case NodeType::kChain:
        return EvalChainNode(dot, first, nargs, final);
      case NodeType::kIdentifier:
        return EvalFunction(dot, first, cmd, cmd.nodes, final);
      case NodeType::kPipe:
        // Parenthesized pipeline: its arguments are inside it.
        MNEME_RETURN_IF_ERROR(NotAFunction(first, nargs, final));
        return EvalNestedPipeline(dot, first);
      case NodeType::kVariable:
        return EvalVariableNode(first, nargs, final);
      default:
        break;
    }
    At(first);
    MNEME_RETURN_IF_ERROR(NotAFunction(first, nargs, final));
    switch (first.type) {
      case NodeType::kBool:
        return Value::Bool(first.truth);
      case NodeType::kDot:
        return dot;
      case NodeType::kNil:
        return Errorf("nil is not a command");
      case NodeType::kNumber:
        return IdealConstant(first);
      case NodeType::kString:
        return Value::StringView(first.str);
      default:
        return Errorf("can't evaluate command " + GoQuote(NodeString(first)));
    }
  }

  Result<Value> IdealConstant(const Node& constant) {
    At(constant);
    const std::string& text = constant.text;
    bool hex_int = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') &&
                   text.find_first_of("pP") == std::string::npos;
    bool rune_int = !text.empty() && text[0] == '\'';
    if (constant.is_float && !hex_int && !rune_int &&
        text.find_first_of(".eEpP") != std::string::npos) {
      return Value::Float(constant.float_value);
    }
    if (constant.is_int) {
      return Value::Int(constant.int_value);
    }
    if (constant.is_uint) {
      return Errorf(text + " overflows int");
    }
    return Value::Invalid();
  }

  Result<Value> EvalFieldNode(const Value& dot, const Node& field, size_t nargs,
                              const Value* final) {
    At(field);
    return EvalFieldChain(dot, field.idents, nargs, final);
  }

  Result<Value> EvalChainNode(const Value& dot, const Node& chain, size_t nargs,
                              const Value* final) {
    At(chain);
    if (chain.pipe->type == NodeType::kNil) {
      return Errorf("indirection through explicit nil in " + NodeString(chain));
    }
    MNEME_TRY(Value pipe, EvalArg(dot, std::nullopt, *chain.pipe));
    return EvalFieldChain(pipe, chain.idents, nargs, final);
  }

  Result<Value> EvalVariableNode(const Node& variable, size_t nargs, const Value* final) {
    At(variable);
    MNEME_TRY(Value value, VarValue(variable.idents[0]));
    if (variable.idents.size() == 1) {
      MNEME_RETURN_IF_ERROR(NotAFunction(variable, nargs, final));
      return value;
    }
    return EvalFieldChain(value, std::span<const std::string>(variable.idents).subspan(1), nargs,
                          final);
  }

  Result<Value> EvalFieldChain(Value receiver, std::span<const std::string> ident, size_t nargs,
                               const Value* final) {
    size_t n = ident.size();
    for (size_t i = 0; i + 1 < n; ++i) {
      MNEME_TRY(receiver, EvalField(ident[i], 0, nullptr, receiver));
    }
    return EvalField(ident[n - 1], nargs, final, receiver);
  }

  Result<Value> EvalField(const std::string& field_name, size_t nargs, const Value* final,
                          const Value& receiver) {
    if (!receiver.IsValid()) {
      return Value::Invalid();  // missingkey=default
    }
    std::string type = StaticTypeName(receiver);
    if (receiver.kind == Kind::kNil) {
      return Errorf("nil pointer evaluating " + type + "." + field_name);
    }
    bool has_args = nargs > 1 || final != nullptr;
    if (receiver.kind == Kind::kMap) {
      if (has_args) {
        return Errorf(field_name + " is not a method but has arguments");
      }
      auto it = receiver.json->find(field_name);
      if (it == receiver.json->end()) {
        return Value::Invalid();
      }
      return Value::FromJson(*it, Boxing::kBoxed, receiver.owner);
    }
    return Errorf("can't evaluate field " + field_name + " in type " + type);
  }

  Result<Value> EvalFunction(const Value& dot, const Node& ident, const Node& cmd,
                             std::span<const NodePtr> args, const Value* final) {
    At(ident);
    const FuncSpec* spec = FindFunc(ident.text);
    if (spec == nullptr) {
      return Errorf(GoQuote(ident.text) + " is not a defined function");
    }
    return EvalCall(dot, *spec, cmd, ident.text, args, final);
  }

  Result<Value> EvalCall(const Value& dot, const FuncSpec& spec, const Node& node,
                         const std::string& name, std::span<const NodePtr> args,
                         const Value* final) {
    if (!args.empty()) {
      args = args.subspan(1);  // the function itself
    }
    size_t num_in = args.size() + (final != nullptr ? 1 : 0);
    size_t num_fixed = args.size();
    if (spec.variadic) {
      num_fixed = spec.params.size();
      if (num_in < num_fixed) {
        return Errorf("wrong number of args for " + name + ": want at least " +
                      std::to_string(num_fixed) + " got " + std::to_string(args.size()));
      }
    } else if (num_in != spec.params.size()) {
      return Errorf("wrong number of args for " + name + ": want " +
                    std::to_string(spec.params.size()) + " got " + std::to_string(num_in));
    }
    if (name == "and" || name == "or") {
      // Short-circuit: the first empty (and) or non-empty (or) argument.
      Value v;
      for (const auto& arg : args) {
        MNEME_TRY(v, EvalArg(dot, ParamType::kValue, *arg));
        if (Truth(v) == (name == "or")) {
          return v;
        }
      }
      if (final != nullptr) {
        MNEME_TRY(v, ValidateType(*final, ParamType::kValue));
      }
      return v;
    }
    std::vector<Value> argv;
    argv.reserve(num_in);
    size_t i = 0;
    for (; i < num_fixed && i < args.size(); ++i) {
      MNEME_TRY(Value v, EvalArg(dot, spec.params[i], *args[i]));
      argv.push_back(std::move(v));
    }
    if (spec.variadic) {
      for (; i < args.size(); ++i) {
        MNEME_TRY(Value v, EvalArg(dot, spec.variadic_type, *args[i]));
        argv.push_back(std::move(v));
      }
    }
    if (final != nullptr) {
      ParamType t = spec.params.empty() ? spec.variadic_type : spec.params.back();
      if (spec.variadic) {
        t = num_in - 1 < num_fixed ? spec.params[num_in - 1] : spec.variadic_type;
      }
      MNEME_TRY(Value v, ValidateType(*final, t));
      argv.push_back(std::move(v));
    }
    if (name == "call") {
      std::string callee;
      if (!args.empty()) {
        callee = NodeString(*args[0]);
      } else {
        callee = final->kind == Kind::kString ? std::string(final->s)
                                              : "<" + TypeName(*final) + " Value>";
      }
      Value fn = argv[0].Unboxed();
      At(node);
      if (!fn.IsValid()) {
        return Errorf("error calling call: call of nil");
      }
      return Errorf("error calling call: non-function " + callee + " of type " + TypeName(fn));
    }
    size_t max = limits_.max_output_bytes;
    if (!ReadsOnly(name)) {
      size_t total = 0;
      for (const Value& v : argv) {
        total += ApproxBytes(v, max);
        if (total > max) {
          At(node);
          return Errorf("error calling " + name + ": arguments exceed " + std::to_string(max) +
                        " bytes");
        }
      }
      MNEME_RETURN_IF_ERROR(Charge(total));
    }
    Result<Value> result = spec.impl(argv, CallLimits{max});
    if (!result) {
      At(node);
      return Errorf("error calling " + name + ": " + result.error().message());
    }
    if (result->kind == Kind::kString) {
      if (result->s.size() > max) {
        At(node);
        return Errorf("error calling " + name + ": result exceeds " + std::to_string(max) +
                      " bytes");
      }
      MNEME_RETURN_IF_ERROR(Charge(result->s.size()));
    }
    return std::move(*result);
  }

  // Go's validateType for the parameter types our functions declare.
  Result<Value> ValidateType(const Value& value, std::optional<ParamType> type) {
    if (!value.IsValid()) {
      if (!type || *type == ParamType::kAny || *type == ParamType::kValue ||
          *type == ParamType::kMap) {
        return Value::Invalid();
      }
      return Errorf("invalid value; expected " + std::string(ParamTypeName(*type)));
    }
    if (!type || *type == ParamType::kAny || *type == ParamType::kValue) {
      return value;
    }
    if (value.kind == Kind::kNil) {
      return Errorf("wrong type for value; expected " + std::string(ParamTypeName(*type)) +
                    "; got interface {}");
    }
    Value v = value.Unboxed();
    bool ok = (*type == ParamType::kString && v.kind == Kind::kString) ||
              (*type == ParamType::kInt && v.kind == Kind::kInt) ||
              (*type == ParamType::kBool && v.kind == Kind::kBool) ||
              (*type == ParamType::kMap && v.kind == Kind::kMap);
    if (!ok) {
      return Errorf("wrong type for value; expected " + std::string(ParamTypeName(*type)) +
                    "; got " + TypeName(v));
    }
    return v;
  }

  Result<Value> EvalArg(const Value& dot, std::optional<ParamType> type, const Node& n) {
    At(n);
    switch (n.type) {
      case NodeType::kDot:
        return ValidateType(dot, type);
      case NodeType::kNil:
        if (!type || *type == ParamType::kAny || *type == ParamType::kValue ||
            *type == ParamType::kMap) {
          return Value::Invalid();
        }
        return Errorf("cannot assign nil to " + std::string(ParamTypeName(*type)));
      case NodeType::kField: {
        MNEME_TRY(Value v, EvalFieldNode(dot, n, 1, nullptr));
        return ValidateType(v, type);
      }
      case NodeType::kVariable: {
        MNEME_TRY(Value v, EvalVariableNode(n, 0, nullptr));
        return ValidateType(v, type);
      }
      case NodeType::kPipe: {
        MNEME_TRY(Value v, EvalNestedPipeline(dot, n));
        return ValidateType(v, type);
      }
      case NodeType::kIdentifier: {
        MNEME_TRY(Value v, EvalFunction(dot, n, n, {}, nullptr));
        return ValidateType(v, type);
      }
      case NodeType::kChain: {
        MNEME_TRY(Value v, EvalChainNode(dot, n, 0, nullptr));
        return ValidateType(v, type);
      }
      default:
        break;
    }
    ParamType t = type.value_or(ParamType::kAny);
    switch (t) {
      case ParamType::kBool:
        if (n.type == NodeType::kBool) {
          return Value::Bool(n.truth);
        }
        return Errorf("expected bool; found " + NodeString(n));
      case ParamType::kInt:
        if (n.type == NodeType::kNumber && n.is_int) {
          return Value::Int(n.int_value);
        }
        return Errorf("expected integer; found " + NodeString(n));
      case ParamType::kString:
        if (n.type == NodeType::kString) {
          return Value::StringView(n.str);
        }
        return Errorf("expected string; found " + NodeString(n));
      case ParamType::kAny:
      case ParamType::kValue:
        switch (n.type) {
          case NodeType::kBool:
            return Value::Bool(n.truth);
          case NodeType::kNumber:
            return IdealConstant(n);
          case NodeType::kString:
            return Value::StringView(n.str);
          default:
            return Errorf("can't handle assignment of " + NodeString(n) +
                          " to empty interface argument");
        }
      case ParamType::kMap:
        break;
    }
    return Errorf("can't handle " + NodeString(n) + " for arg of type " +
                  std::string(ParamTypeName(t)));
  }

  const std::map<std::string, std::shared_ptr<const Tree>, std::less<>>& trees_;
  Escaping escaping_;
  const GoTemplateLimits& limits_;
  const Tree* tmpl_ = nullptr;
  const Node* node_ = nullptr;
  Vars vars_;
  std::string out_;
  int depth_ = 0;
  int64_t steps_ = 0;
  bool in_html_comment_ = false;
};

}  // namespace

namespace {
Result<TreeSet> ParseTrees(std::string_view name, std::string_view source,
                           const GoTemplateLimits& limits) {
  if (source.size() > limits.max_source_bytes) {
    return tl::unexpected(InvalidArgument("template: " + std::string(name) +
                                          ": source exceeds " +
                                          std::to_string(limits.max_source_bytes) + " bytes"));
  }
  auto text = std::make_shared<const std::string>(source);
  Parser parser(std::string(name), std::move(text), limits.max_parse_depth);
  return parser.Run();
}
}  // namespace

}  // namespace gotmpl

namespace {

// text/template's associate: a template replaces an earlier one of the same
// name unless it is empty (only space and comments).
void Associate(std::map<std::string, std::shared_ptr<const gotmpl::Tree>, std::less<>>& trees,
               gotmpl::TreeSet parsed) {
  for (auto& [name, tree] : parsed) {
    auto it = trees.find(name);
    if (it != trees.end() && gotmpl::IsEmptyTree(*tree->root)) {
      continue;
    }
    trees[name] = std::move(tree);
  }
}

}  // namespace

Result<GoTemplate> GoTemplate::Parse(std::string_view name, std::string_view source,
                                     const GoTemplateLimits& limits) {
  MNEME_TRY(gotmpl::TreeSet parsed, gotmpl::ParseTrees(name, source, limits));
  auto trees = std::make_shared<TreeMap>();
  Associate(*trees, std::move(parsed));
  return GoTemplate(std::string(name), limits, std::move(trees));
}

Status GoTemplate::AddTemplate(std::string_view name, std::string_view source) {
  MNEME_TRY(gotmpl::TreeSet parsed, gotmpl::ParseTrees(name, source, limits_));
  auto trees = std::make_shared<TreeMap>(*trees_);
  Associate(*trees, std::move(parsed));
  trees_ = std::move(trees);
  return OkStatus();
}

Result<std::string> GoTemplate::Execute(const nlohmann::json& data, Escaping escaping) const {
  return ExecuteTemplate(name_, data, escaping);
}

Result<std::string> GoTemplate::ExecuteTemplate(std::string_view name, const nlohmann::json& data,
                                                Escaping escaping) const {
  auto it = trees_->find(name);
  if (it == trees_->end()) {
    return MakeError(Code::kInvalidArgument, "template: no template " +
                                                 gotmpl::GoQuote(name) +
                                                 " associated with template " +
                                                 gotmpl::GoQuote(name_));
  }
  gotmpl::Executor executor(*trees_, escaping, limits_);
  return executor.Run(*it->second, data);
}

}  // namespace mneme::domain::courier
