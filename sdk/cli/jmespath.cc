// SPDX-License-Identifier: Apache-2.0
// A JMESPath evaluator: a lexer, a Pratt parser (binding powers as in the
// reference implementation, jmespath.py) and a tree walker. Errors are
// thrown as JmesError inside and become Status at the two public entry
// points.
#include "jmespath.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

namespace skiff::cli {

using Json = nlohmann::ordered_json;

const char* JmesPathErrorKindName(JmesPathErrorKind kind) {
  switch (kind) {
    case JmesPathErrorKind::kNone:
      return "none";
    case JmesPathErrorKind::kSyntax:
      return "syntax";
    case JmesPathErrorKind::kUnknownFunction:
      return "unknown-function";
    case JmesPathErrorKind::kInvalidArity:
      return "invalid-arity";
    case JmesPathErrorKind::kInvalidType:
      return "invalid-type";
    case JmesPathErrorKind::kInvalidValue:
      return "invalid-value";
  }
  return "unknown";
}

namespace {

struct JmesError {
  JmesPathErrorKind kind;
  std::string message;
};

[[noreturn]] void Fail(JmesPathErrorKind kind, std::string message) {
  throw JmesError{kind, std::move(message)};
}

// ---------------------------------------------------------------- lexer

enum class Tok {
  kEof,
  kUnquotedIdentifier,
  kQuotedIdentifier,
  kLiteral,
  kRbracket,
  kRparen,
  kComma,
  kRbrace,
  kNumber,
  kCurrent,
  kExpref,
  kColon,
  kPipe,
  kOr,
  kAnd,
  kEq,
  kGt,
  kLt,
  kGte,
  kLte,
  kNe,
  kFlatten,
  kStar,
  kFilter,
  kDot,
  kNot,
  kLbrace,
  kLbracket,
  kLparen,
};

int BindingPower(Tok t) {
  switch (t) {
    case Tok::kPipe:
      return 1;
    case Tok::kOr:
      return 2;
    case Tok::kAnd:
      return 3;
    case Tok::kEq:
    case Tok::kGt:
    case Tok::kLt:
    case Tok::kGte:
    case Tok::kLte:
    case Tok::kNe:
      return 5;
    case Tok::kFlatten:
      return 9;
    case Tok::kStar:
      return 20;
    case Tok::kFilter:
      return 21;
    case Tok::kDot:
      return 40;
    case Tok::kNot:
      return 45;
    case Tok::kLbrace:
      return 50;
    case Tok::kLbracket:
      return 55;
    case Tok::kLparen:
      return 60;
    default:
      return 0;
  }
}
// Tokens that bind less than this end a projection's right-hand side.
constexpr int kProjectionStop = 10;

struct Token {
  Tok type = Tok::kEof;
  std::string text;  // identifier name
  Json value;        // literal value
  long long number = 0;
  size_t pos = 0;
};

std::string At(size_t pos) { return "at column " + std::to_string(pos + 1); }

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  std::vector<Token> Tokenize() {
    std::vector<Token> out;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      Token t;
      t.pos = i_;
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++i_;
        continue;
      }
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t start = i_;
        while (i_ < s_.size() &&
               (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_'))
          ++i_;
        t.type = Tok::kUnquotedIdentifier;
        t.text = std::string(s_.substr(start, i_ - start));
      } else if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
        size_t start = i_++;
        while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
        if (c == '-' && i_ == start + 1)
          Fail(JmesPathErrorKind::kSyntax, "'-' without digits " + At(start));
        t.type = Tok::kNumber;
        try {
          t.number = std::stoll(std::string(s_.substr(start, i_ - start)));
        } catch (const std::exception&) {
          Fail(JmesPathErrorKind::kSyntax, "number out of range " + At(start));
        }
      } else if (c == '"') {
        std::string raw = Until('"');
        Json parsed = Json::parse("\"" + raw + "\"", nullptr, false);
        if (!parsed.is_string())
          Fail(JmesPathErrorKind::kSyntax, "invalid quoted identifier " + At(t.pos));
        t.type = Tok::kQuotedIdentifier;
        t.text = parsed.get<std::string>();
      } else if (c == '\'') {
        std::string raw = Until('\'');
        std::string text;
        for (size_t k = 0; k < raw.size(); ++k) {
          if (raw[k] == '\\' && k + 1 < raw.size() && raw[k + 1] == '\'') ++k;
          text += raw[k];
        }
        t.type = Tok::kLiteral;
        t.value = text;
      } else if (c == '`') {
        std::string raw = Until('`');
        std::string text;
        for (size_t k = 0; k < raw.size(); ++k) {
          if (raw[k] == '\\' && k + 1 < raw.size() && raw[k + 1] == '`') ++k;
          text += raw[k];
        }
        Json parsed = Json::parse(text, nullptr, false);
        if (parsed.is_discarded())
          Fail(JmesPathErrorKind::kSyntax, "invalid JSON literal " + At(t.pos));
        t.type = Tok::kLiteral;
        t.value = std::move(parsed);
      } else {
        ++i_;
        const char n = i_ < s_.size() ? s_[i_] : '\0';
        auto two = [&](char second, Tok yes, Tok no) {
          if (n == second) {
            ++i_;
            return yes;
          }
          return no;
        };
        switch (c) {
          case '.':
            t.type = Tok::kDot;
            break;
          case '*':
            t.type = Tok::kStar;
            break;
          case ']':
            t.type = Tok::kRbracket;
            break;
          case ',':
            t.type = Tok::kComma;
            break;
          case ':':
            t.type = Tok::kColon;
            break;
          case '@':
            t.type = Tok::kCurrent;
            break;
          case '(':
            t.type = Tok::kLparen;
            break;
          case ')':
            t.type = Tok::kRparen;
            break;
          case '{':
            t.type = Tok::kLbrace;
            break;
          case '}':
            t.type = Tok::kRbrace;
            break;
          case '[':
            if (n == ']') {
              ++i_;
              t.type = Tok::kFlatten;
            } else {
              t.type = two('?', Tok::kFilter, Tok::kLbracket);
            }
            break;
          case '|':
            t.type = two('|', Tok::kOr, Tok::kPipe);
            break;
          case '&':
            t.type = two('&', Tok::kAnd, Tok::kExpref);
            break;
          case '!':
            t.type = two('=', Tok::kNe, Tok::kNot);
            break;
          case '<':
            t.type = two('=', Tok::kLte, Tok::kLt);
            break;
          case '>':
            t.type = two('=', Tok::kGte, Tok::kGt);
            break;
          case '=':
            if (n != '=')
              Fail(JmesPathErrorKind::kSyntax, "'=' is not an operator; use '==' " + At(t.pos));
            ++i_;
            t.type = Tok::kEq;
            break;
          default:
            Fail(JmesPathErrorKind::kSyntax,
                 std::string("unexpected character '") + c + "' " + At(t.pos));
        }
      }
      out.push_back(std::move(t));
    }
    Token eof;
    eof.pos = s_.size();
    out.push_back(eof);
    return out;
  }

 private:
  // The text up to the next unescaped `delim` (a backslash keeps the next
  // character as is); i_ moves past the closing delimiter.
  std::string Until(char delim) {
    const size_t start = i_++;
    std::string out;
    while (true) {
      if (i_ >= s_.size())
        Fail(JmesPathErrorKind::kSyntax, std::string("unclosed ") + delim + " " + At(start));
      const char c = s_[i_];
      if (c == '\\' && i_ + 1 < s_.size()) {
        out += c;
        out += s_[i_ + 1];
        i_ += 2;
      } else if (c == delim) {
        ++i_;
        return out;
      } else {
        out += c;
        ++i_;
      }
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

// ---------------------------------------------------------------- AST

struct JmesPath::Node {
  enum class Type {
    kIdentity,
    kCurrent,
    kField,
    kLiteral,
    kIndex,
    kSlice,
    kSubexpression,
    kIndexExpression,
    kProjection,
    kValueProjection,
    kFilterProjection,
    kFlatten,
    kComparator,
    kOr,
    kAnd,
    kNot,
    kPipe,
    kMultiSelectList,
    kMultiSelectHash,
    kFunction,
    kExpref,
  };
  Type type = Type::kIdentity;
  std::string name;     // field, function name; comparator token
  Tok op = Tok::kEof;   // comparator
  Json value;           // literal
  long long index = 0;  // index
  std::optional<long long> slice[3];
  std::vector<std::shared_ptr<const Node>> children;  // for a filter: left, right, condition
  std::vector<std::string> keys;                      // multiselect hash keys, one per child
};

namespace {

using Node = JmesPath::Node;
using NodePtr = std::shared_ptr<const Node>;
using Type = Node::Type;

NodePtr Make(Type type, std::vector<NodePtr> children = {}) {
  auto n = std::make_shared<Node>();
  n->type = type;
  n->children = std::move(children);
  return n;
}

// The built-in functions: name, arity, and the types each argument takes.
struct Signature {
  const char* name;
  size_t min_args;
  bool variadic;
};
constexpr Signature kFunctions[] = {
    {"abs", 1, false},      {"avg", 1, false},         {"ceil", 1, false},
    {"contains", 2, false}, {"ends_with", 2, false},   {"floor", 1, false},
    {"join", 2, false},     {"keys", 1, false},        {"length", 1, false},
    {"map", 2, false},      {"max", 1, false},         {"max_by", 2, false},
    {"merge", 1, true},     {"min", 1, false},         {"min_by", 2, false},
    {"not_null", 1, true},  {"reverse", 1, false},     {"sort", 1, false},
    {"sort_by", 2, false},  {"starts_with", 2, false}, {"sum", 1, false},
    {"to_array", 1, false}, {"to_string", 1, false},   {"to_number", 1, false},
    {"type", 1, false},     {"values", 1, false},
};

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  NodePtr Parse() {
    NodePtr n = Expression(0);
    if (Cur() != Tok::kEof) Unexpected();
    return n;
  }

 private:
  Tok Cur() const { return t_[i_].type; }
  Tok Peek(size_t k) const { return t_[std::min(i_ + k, t_.size() - 1)].type; }
  void Advance() {
    if (i_ + 1 < t_.size()) ++i_;
  }
  [[noreturn]] void Unexpected() const {
    Fail(JmesPathErrorKind::kSyntax, Cur() == Tok::kEof ? "unexpected end of expression"
                                                        : "unexpected token " + At(t_[i_].pos));
  }
  void Match(Tok type) {
    if (Cur() != type) Unexpected();
    Advance();
  }

  NodePtr Expression(int rbp) {
    Token left_token = t_[i_];
    Advance();
    NodePtr left = Nud(left_token);
    while (rbp < BindingPower(Cur())) {
      Tok op = Cur();
      Advance();
      left = Led(op, left);
    }
    return left;
  }

  NodePtr Nud(const Token& tok) {
    switch (tok.type) {
      case Tok::kLiteral: {
        auto n = std::make_shared<Node>();
        n->type = Type::kLiteral;
        n->value = tok.value;
        return n;
      }
      case Tok::kUnquotedIdentifier:
        return Field(tok.text);
      case Tok::kQuotedIdentifier:
        if (Cur() == Tok::kLparen) {
          Fail(JmesPathErrorKind::kSyntax, "a function name cannot be quoted " + At(tok.pos));
        }
        return Field(tok.text);
      case Tok::kStar: {
        NodePtr right = Cur() == Tok::kRbracket ? Make(Type::kIdentity)
                                                : ProjectionRhs(BindingPower(Tok::kStar));
        return Make(Type::kValueProjection, {Make(Type::kIdentity), right});
      }
      case Tok::kFilter:
        return LedFilter(Make(Type::kIdentity));
      case Tok::kLbrace:
        return MultiSelectHash();
      case Tok::kLparen: {
        NodePtr inner = Expression(0);
        Match(Tok::kRparen);
        return inner;
      }
      case Tok::kFlatten: {
        NodePtr left = Make(Type::kFlatten, {Make(Type::kIdentity)});
        return Make(Type::kProjection, {left, ProjectionRhs(BindingPower(Tok::kFlatten))});
      }
      case Tok::kNot:
        return Make(Type::kNot, {Expression(BindingPower(Tok::kNot))});
      case Tok::kLbracket:
        if (Cur() == Tok::kNumber || Cur() == Tok::kColon) {
          return ProjectIfSlice(Make(Type::kIdentity), IndexExpression());
        }
        if (Cur() == Tok::kStar && Peek(1) == Tok::kRbracket) {
          Advance();
          Advance();
          return Make(Type::kProjection,
                      {Make(Type::kIdentity), ProjectionRhs(BindingPower(Tok::kStar))});
        }
        return MultiSelectList();
      case Tok::kCurrent:
        return Make(Type::kCurrent);
      case Tok::kExpref:
        return Make(Type::kExpref, {Expression(BindingPower(Tok::kExpref))});
      default:
        Fail(JmesPathErrorKind::kSyntax, tok.type == Tok::kEof ? "unexpected end of expression"
                                                               : "unexpected token " + At(tok.pos));
    }
  }

  NodePtr Led(Tok op, NodePtr left) {
    switch (op) {
      case Tok::kDot:
        if (Cur() == Tok::kStar) {
          Advance();
          return Make(Type::kValueProjection, {left, ProjectionRhs(BindingPower(Tok::kDot))});
        }
        return Make(Type::kSubexpression, {left, DotRhs(BindingPower(Tok::kDot))});
      case Tok::kPipe:
        return Make(Type::kPipe, {left, Expression(BindingPower(Tok::kPipe))});
      case Tok::kOr:
        return Make(Type::kOr, {left, Expression(BindingPower(Tok::kOr))});
      case Tok::kAnd:
        return Make(Type::kAnd, {left, Expression(BindingPower(Tok::kAnd))});
      case Tok::kLparen:
        return Function(left);
      case Tok::kFilter:
        return LedFilter(left);
      case Tok::kEq:
      case Tok::kNe:
      case Tok::kGt:
      case Tok::kGte:
      case Tok::kLt:
      case Tok::kLte: {
        auto n = std::make_shared<Node>();
        n->type = Type::kComparator;
        n->op = op;
        n->children = {left, Expression(BindingPower(op))};
        return n;
      }
      case Tok::kFlatten:
        return Make(Type::kProjection,
                    {Make(Type::kFlatten, {left}), ProjectionRhs(BindingPower(Tok::kFlatten))});
      case Tok::kLbracket:
        if (Cur() == Tok::kNumber || Cur() == Tok::kColon) {
          return ProjectIfSlice(left, IndexExpression());
        }
        Match(Tok::kStar);
        Match(Tok::kRbracket);
        return Make(Type::kProjection, {left, ProjectionRhs(BindingPower(Tok::kStar))});
      default:
        Unexpected();
    }
  }

  static NodePtr Field(const std::string& name) {
    auto n = std::make_shared<Node>();
    n->type = Type::kField;
    n->name = name;
    return n;
  }

  NodePtr LedFilter(NodePtr left) {
    NodePtr condition = Expression(0);
    Match(Tok::kRbracket);
    NodePtr right =
        Cur() == Tok::kFlatten ? Make(Type::kIdentity) : ProjectionRhs(BindingPower(Tok::kFilter));
    return Make(Type::kFilterProjection, {left, right, condition});
  }

  NodePtr Function(NodePtr left) {
    if (left->type != Type::kField) {
      Fail(JmesPathErrorKind::kSyntax, "only a name can be called as a function " + At(t_[i_].pos));
    }
    std::vector<NodePtr> args;
    while (Cur() != Tok::kRparen) {
      args.push_back(Expression(0));
      if (Cur() == Tok::kComma) {
        Advance();
        if (Cur() == Tok::kRparen) Unexpected();
      } else if (Cur() != Tok::kRparen) {
        Unexpected();
      }
    }
    Match(Tok::kRparen);
    const Signature* sig = nullptr;
    for (const auto& s : kFunctions) {
      if (left->name == s.name) sig = &s;
    }
    if (sig == nullptr)
      Fail(JmesPathErrorKind::kUnknownFunction, "unknown function " + left->name + "()");
    if (args.size() < sig->min_args || (!sig->variadic && args.size() != sig->min_args)) {
      Fail(JmesPathErrorKind::kInvalidArity,
           left->name + "() takes " + (sig->variadic ? "at least " : "") +
               std::to_string(sig->min_args) + " argument(s), got " + std::to_string(args.size()));
    }
    auto n = std::make_shared<Node>();
    n->type = Type::kFunction;
    n->name = left->name;
    n->children = std::move(args);
    return n;
  }

  NodePtr IndexExpression() {
    if (Peek(1) == Tok::kColon || Cur() == Tok::kColon) return Slice();
    auto n = std::make_shared<Node>();
    n->type = Type::kIndex;
    n->index = t_[i_].number;
    Match(Tok::kNumber);
    Match(Tok::kRbracket);
    return n;
  }

  NodePtr Slice() {
    auto n = std::make_shared<Node>();
    n->type = Type::kSlice;
    int part = 0;
    while (Cur() != Tok::kRbracket) {
      if (Cur() == Tok::kColon) {
        if (++part == 3) Unexpected();
        Advance();
      } else if (Cur() == Tok::kNumber) {
        n->slice[part] = t_[i_].number;
        Advance();
      } else {
        Unexpected();
      }
    }
    Match(Tok::kRbracket);
    return n;
  }

  NodePtr ProjectIfSlice(NodePtr left, NodePtr right) {
    const bool slice = right->type == Type::kSlice;
    NodePtr index = Make(Type::kIndexExpression, {left, right});
    if (!slice) return index;
    return Make(Type::kProjection, {index, ProjectionRhs(BindingPower(Tok::kStar))});
  }

  NodePtr ProjectionRhs(int rbp) {
    if (BindingPower(Cur()) < kProjectionStop) return Make(Type::kIdentity);
    if (Cur() == Tok::kLbracket || Cur() == Tok::kFilter) return Expression(rbp);
    if (Cur() == Tok::kDot) {
      Advance();
      return DotRhs(rbp);
    }
    Unexpected();
  }

  NodePtr DotRhs(int rbp) {
    switch (Cur()) {
      case Tok::kQuotedIdentifier:
      case Tok::kUnquotedIdentifier:
      case Tok::kStar:
        return Expression(rbp);
      case Tok::kLbracket:
        Advance();
        return MultiSelectList();
      case Tok::kLbrace:
        Advance();
        return MultiSelectHash();
      default:
        Unexpected();
    }
  }

  NodePtr MultiSelectList() {
    auto n = std::make_shared<Node>();
    n->type = Type::kMultiSelectList;
    while (true) {
      n->children.push_back(Expression(0));
      if (Cur() == Tok::kRbracket) break;
      Match(Tok::kComma);
    }
    Match(Tok::kRbracket);
    return n;
  }

  NodePtr MultiSelectHash() {
    auto n = std::make_shared<Node>();
    n->type = Type::kMultiSelectHash;
    while (true) {
      if (Cur() != Tok::kQuotedIdentifier && Cur() != Tok::kUnquotedIdentifier) Unexpected();
      n->keys.push_back(t_[i_].text);
      Advance();
      Match(Tok::kColon);
      n->children.push_back(Expression(0));
      if (Cur() == Tok::kComma) {
        Advance();
      } else {
        Match(Tok::kRbrace);
        break;
      }
    }
    return n;
  }

  std::vector<Token> t_;
  size_t i_ = 0;
};

// ---------------------------------------------------------------- evaluation

bool Truthy(const Json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  if (v.is_array() || v.is_object()) return !v.empty();
  return true;
}

const char* TypeName(const Json& v) {
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "boolean";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "null";
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// An argument: a value, or an expression reference (`&expr`).
struct Arg {
  Json value;
  const Node* expref = nullptr;
};

class Evaluator {
 public:
  Json Eval(const Node& n, const Json& v) const {
    switch (n.type) {
      case Type::kIdentity:
      case Type::kCurrent:
        return v;
      case Type::kLiteral:
        return n.value;
      case Type::kField: {
        if (!v.is_object()) return nullptr;
        auto it = v.find(n.name);
        return it == v.end() ? Json() : *it;
      }
      case Type::kSubexpression:
      case Type::kIndexExpression:
      case Type::kPipe:
        return Eval(*n.children[1], Eval(*n.children[0], v));
      case Type::kIndex: {
        if (!v.is_array()) return nullptr;
        long long i = n.index < 0 ? n.index + static_cast<long long>(v.size()) : n.index;
        if (i < 0 || i >= static_cast<long long>(v.size())) return nullptr;
        return v[static_cast<size_t>(i)];
      }
      case Type::kSlice:
        return Slice(n, v);
      case Type::kProjection: {
        Json base = Eval(*n.children[0], v);
        if (!base.is_array()) return nullptr;
        Json out = Json::array();
        for (const auto& e : base) {
          Json r = Eval(*n.children[1], e);
          if (!r.is_null()) out.push_back(std::move(r));
        }
        return out;
      }
      case Type::kValueProjection: {
        Json base = Eval(*n.children[0], v);
        if (!base.is_object()) return nullptr;
        Json out = Json::array();
        for (const auto& e : base) {
          Json r = Eval(*n.children[1], e);
          if (!r.is_null()) out.push_back(std::move(r));
        }
        return out;
      }
      case Type::kFilterProjection: {
        Json base = Eval(*n.children[0], v);
        if (!base.is_array()) return nullptr;
        Json out = Json::array();
        for (const auto& e : base) {
          if (!Truthy(Eval(*n.children[2], e))) continue;
          Json r = Eval(*n.children[1], e);
          if (!r.is_null()) out.push_back(std::move(r));
        }
        return out;
      }
      case Type::kFlatten: {
        Json base = Eval(*n.children[0], v);
        if (!base.is_array()) return nullptr;
        Json out = Json::array();
        for (const auto& e : base) {
          if (e.is_array()) {
            for (const auto& x : e) out.push_back(x);
          } else {
            out.push_back(e);
          }
        }
        return out;
      }
      case Type::kComparator:
        return Compare(n, v);
      case Type::kOr: {
        Json l = Eval(*n.children[0], v);
        return Truthy(l) ? l : Eval(*n.children[1], v);
      }
      case Type::kAnd: {
        Json l = Eval(*n.children[0], v);
        return Truthy(l) ? Eval(*n.children[1], v) : l;
      }
      case Type::kNot:
        return !Truthy(Eval(*n.children[0], v));
      case Type::kMultiSelectList: {
        if (v.is_null()) return nullptr;
        Json out = Json::array();
        for (const auto& c : n.children) out.push_back(Eval(*c, v));
        return out;
      }
      case Type::kMultiSelectHash: {
        if (v.is_null()) return nullptr;
        Json out = Json::object();
        for (size_t i = 0; i < n.children.size(); ++i) out[n.keys[i]] = Eval(*n.children[i], v);
        return out;
      }
      case Type::kFunction:
        return Call(n, v);
      case Type::kExpref:
        // Only meaningful as a function argument (handled in Call).
        Fail(JmesPathErrorKind::kInvalidType, "&expression is only valid as a function argument");
    }
    return nullptr;
  }

 private:
  static Json Slice(const Node& n, const Json& v) {
    const long long step = n.slice[2].value_or(1);
    if (step == 0) Fail(JmesPathErrorKind::kInvalidValue, "a slice step cannot be 0");
    if (!v.is_array()) return nullptr;
    const long long len = static_cast<long long>(v.size());
    // Python's slice bounds, as the specification defines them.
    auto bound = [&](std::optional<long long> given, long long if_none) {
      if (!given) return if_none;
      long long x = *given;
      if (x < 0) {
        x += len;
        if (x < 0) x = step < 0 ? -1 : 0;
      } else if (x >= len) {
        x = step < 0 ? len - 1 : len;
      }
      return x;
    };
    const long long start = bound(n.slice[0], step < 0 ? len - 1 : 0);
    const long long stop = bound(n.slice[1], step < 0 ? -1 : len);
    Json out = Json::array();
    for (long long i = start; step > 0 ? i < stop : i > stop; i += step)
      out.push_back(v[static_cast<size_t>(i)]);
    return out;
  }

  Json Compare(const Node& n, const Json& v) const {
    Json l = Eval(*n.children[0], v);
    Json r = Eval(*n.children[1], v);
    if (n.op == Tok::kEq) return JmesPathEqual(l, r);
    if (n.op == Tok::kNe) return !JmesPathEqual(l, r);
    if (!l.is_number() || !r.is_number()) return nullptr;
    const double a = l.get<double>(), b = r.get<double>();
    switch (n.op) {
      case Tok::kLt:
        return a < b;
      case Tok::kLte:
        return a <= b;
      case Tok::kGt:
        return a > b;
      default:
        return a >= b;
    }
  }

  [[noreturn]] static void TypeError(const std::string& fn, size_t arg, const std::string& want,
                                     const Arg& got) {
    Fail(JmesPathErrorKind::kInvalidType,
         fn + "() argument " + std::to_string(arg + 1) + " must be " + want + ", not " +
             (got.expref != nullptr ? "an &expression" : TypeName(got.value)));
  }

  // Checks that argument `i` is one of `types` ("number", "string",
  // "array", "object", "any", "array-number", "array-string", "expref").
  static void Want(const std::string& fn, const std::vector<Arg>& args, size_t i,
                   std::initializer_list<const char*> types) {
    const Arg& a = args[i];
    std::string want;
    for (const char* t : types) {
      const std::string type = t;
      want += (want.empty() ? "" : " or ") + type;
      if (type == "expref") {
        if (a.expref != nullptr) return;
        continue;
      }
      if (a.expref != nullptr) continue;
      if (type == "any") return;
      if (type == "array-number" || type == "array-string") {
        if (!a.value.is_array()) continue;
        const bool numbers = type == "array-number";
        if (std::all_of(a.value.begin(), a.value.end(),
                        [&](const Json& e) { return numbers ? e.is_number() : e.is_string(); })) {
          return;
        }
        continue;
      }
      if (type == TypeName(a.value)) return;
    }
    TypeError(fn, i, want, a);
  }

  Json Call(const Node& n, const Json& v) const {
    std::vector<Arg> args;
    for (const auto& c : n.children) {
      Arg a;
      if (c->type == Type::kExpref) {
        a.expref = c->children[0].get();
      } else {
        a.value = Eval(*c, v);
      }
      args.push_back(std::move(a));
    }
    const std::string& fn = n.name;
    auto& a0 = args[0].value;
    if (fn == "abs") {
      Want(fn, args, 0, {"number"});
      if (a0.is_number_float()) return std::fabs(a0.get<double>());
      if (a0.is_number_unsigned()) return a0;
      return std::llabs(a0.get<long long>());
    }
    if (fn == "avg") {
      Want(fn, args, 0, {"array-number"});
      if (a0.empty()) return nullptr;
      double sum = 0;
      for (const auto& e : a0) sum += e.get<double>();
      return sum / static_cast<double>(a0.size());
    }
    if (fn == "ceil" || fn == "floor") {
      Want(fn, args, 0, {"number"});
      if (!a0.is_number_float()) return a0;
      const double d = fn == "ceil" ? std::ceil(a0.get<double>()) : std::floor(a0.get<double>());
      return d;
    }
    if (fn == "contains") {
      Want(fn, args, 0, {"array", "string"});
      Want(fn, args, 1, {"any"});
      const Json& needle = args[1].value;
      if (a0.is_string()) {
        return needle.is_string() && a0.get_ref<const std::string&>().find(
                                         needle.get_ref<const std::string&>()) != std::string::npos;
      }
      return std::any_of(a0.begin(), a0.end(),
                         [&](const Json& e) { return JmesPathEqual(e, needle); });
    }
    if (fn == "ends_with" || fn == "starts_with") {
      Want(fn, args, 0, {"string"});
      Want(fn, args, 1, {"string"});
      const auto& s = a0.get_ref<const std::string&>();
      const auto& x = args[1].value.get_ref<const std::string&>();
      if (x.size() > s.size()) return false;
      return fn == "starts_with" ? s.compare(0, x.size(), x) == 0
                                 : s.compare(s.size() - x.size(), x.size(), x) == 0;
    }
    if (fn == "join") {
      Want(fn, args, 0, {"string"});
      Want(fn, args, 1, {"array-string"});
      std::string out;
      bool first = true;
      for (const auto& e : args[1].value) {
        if (!first) out += a0.get_ref<const std::string&>();
        out += e.get_ref<const std::string&>();
        first = false;
      }
      return out;
    }
    if (fn == "keys" || fn == "values") {
      Want(fn, args, 0, {"object"});
      Json out = Json::array();
      for (auto it = a0.begin(); it != a0.end(); ++it) {
        out.push_back(fn == "keys" ? Json(it.key()) : it.value());
      }
      return out;
    }
    if (fn == "length") {
      Want(fn, args, 0, {"string", "array", "object"});
      if (a0.is_string()) return CodePoints(a0.get_ref<const std::string&>());
      return a0.size();
    }
    if (fn == "map") {
      Want(fn, args, 0, {"expref"});
      Want(fn, args, 1, {"array"});
      Json out = Json::array();
      for (const auto& e : args[1].value) out.push_back(Eval(*args[0].expref, e));
      return out;
    }
    if (fn == "max" || fn == "min") {
      Want(fn, args, 0, {"array-number", "array-string"});
      if (a0.empty()) return nullptr;
      const bool strings = a0[0].is_string();
      if (std::any_of(a0.begin(), a0.end(),
                      [&](const Json& e) { return e.is_string() != strings; })) {
        TypeError(fn, 0, "array-number or array-string", args[0]);
      }
      size_t best = 0;
      for (size_t i = 1; i < a0.size(); ++i) {
        const bool less = Less(a0[i], a0[best]);
        if (fn == "max" ? Less(a0[best], a0[i]) : less) best = i;
      }
      return a0[best];
    }
    if (fn == "max_by" || fn == "min_by" || fn == "sort_by") {
      Want(fn, args, 0, {"array"});
      Want(fn, args, 1, {"expref"});
      std::vector<std::pair<Json, Json>> keyed;  // key, element
      for (const auto& e : a0) {
        Json key = Eval(*args[1].expref, e);
        if (!key.is_number() && !key.is_string()) {
          Fail(JmesPathErrorKind::kInvalidType,
               fn + "() expression must give numbers or strings, not " + TypeName(key));
        }
        if (!keyed.empty() && key.is_string() != keyed[0].first.is_string()) {
          Fail(JmesPathErrorKind::kInvalidType, fn + "() expression gave both numbers and strings");
        }
        keyed.emplace_back(std::move(key), e);
      }
      if (fn == "sort_by") {
        std::stable_sort(keyed.begin(), keyed.end(),
                         [](const auto& x, const auto& y) { return Less(x.first, y.first); });
        Json out = Json::array();
        for (auto& [k, e] : keyed) out.push_back(std::move(e));
        return out;
      }
      if (keyed.empty()) return nullptr;
      size_t best = 0;
      for (size_t i = 1; i < keyed.size(); ++i) {
        if (fn == "max_by" ? Less(keyed[best].first, keyed[i].first)
                           : Less(keyed[i].first, keyed[best].first)) {
          best = i;
        }
      }
      return keyed[best].second;
    }
    if (fn == "merge") {
      Json out = Json::object();
      for (size_t i = 0; i < args.size(); ++i) {
        Want(fn, args, i, {"object"});
        for (auto it = args[i].value.begin(); it != args[i].value.end(); ++it)
          out[it.key()] = it.value();
      }
      return out;
    }
    if (fn == "not_null") {
      for (size_t i = 0; i < args.size(); ++i) {
        Want(fn, args, i, {"any"});
        if (!args[i].value.is_null()) return args[i].value;
      }
      return nullptr;
    }
    if (fn == "reverse") {
      Want(fn, args, 0, {"string", "array"});
      if (a0.is_array()) {
        Json out = Json::array();
        for (auto it = a0.rbegin(); it != a0.rend(); ++it) out.push_back(*it);
        return out;
      }
      // By code point, so a multi-byte character stays whole.
      const auto& s = a0.get_ref<const std::string&>();
      std::vector<std::string> chars;
      for (unsigned char c : s) {
        if ((c & 0xC0) != 0x80 || chars.empty()) chars.emplace_back();
        chars.back() += static_cast<char>(c);
      }
      std::string out;
      for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += *it;
      return out;
    }
    if (fn == "sort") {
      Want(fn, args, 0, {"array-number", "array-string"});
      std::vector<Json> items(a0.begin(), a0.end());
      if (!items.empty() && std::any_of(items.begin(), items.end(), [&](const Json& e) {
            return e.is_string() != items[0].is_string();
          })) {
        TypeError(fn, 0, "array-number or array-string", args[0]);
      }
      std::stable_sort(items.begin(), items.end(), Less);
      return Json(items);
    }
    if (fn == "sum") {
      Want(fn, args, 0, {"array-number"});
      bool floats = false;
      double d = 0;
      long long i = 0;
      for (const auto& e : a0) {
        floats = floats || e.is_number_float();
        d += e.get<double>();
        if (!e.is_number_float()) i += e.get<long long>();
      }
      return floats ? Json(d) : Json(i);
    }
    if (fn == "to_array") {
      Want(fn, args, 0, {"any"});
      return a0.is_array() ? a0 : Json::array({a0});
    }
    if (fn == "to_string") {
      Want(fn, args, 0, {"any"});
      return a0.is_string() ? a0 : Json(a0.dump());
    }
    if (fn == "to_number") {
      Want(fn, args, 0, {"any"});
      if (a0.is_number()) return a0;
      if (!a0.is_string()) return nullptr;
      Json parsed = Json::parse(a0.get_ref<const std::string&>(), nullptr, false);
      return parsed.is_number() ? parsed : Json();
    }
    if (fn == "type") {
      Want(fn, args, 0, {"any"});
      return TypeName(a0);
    }
    Fail(JmesPathErrorKind::kUnknownFunction, "unknown function " + fn + "()");
  }

  // Numbers by value, strings by code point (UTF-8 byte order is code point order).
  static bool Less(const Json& a, const Json& b) {
    if (a.is_number() && b.is_number()) return a.get<double>() < b.get<double>();
    return a.get_ref<const std::string&>() < b.get_ref<const std::string&>();
  }
};

StatusOr<Json> ToStatus(const JmesError& e, JmesPathErrorKind* kind) {
  if (kind != nullptr) *kind = e.kind;
  return InvalidArgument(std::string(JmesPathErrorKindName(e.kind)) + " error: " + e.message);
}

}  // namespace

bool JmesPathEqual(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_number_float() || b.is_number_float()) return a.get<double>() == b.get<double>();
    return a == b;
  }
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!JmesPathEqual(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !JmesPathEqual(it.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

StatusOr<JmesPath> JmesPath::Compile(std::string_view expression, JmesPathErrorKind* kind) {
  if (kind != nullptr) *kind = JmesPathErrorKind::kNone;
  try {
    JmesPath compiled;
    compiled.root_ = Parser(Lexer(expression).Tokenize()).Parse();
    return compiled;
  } catch (const JmesError& e) {
    return ToStatus(e, kind).status();
  }
}

StatusOr<Json> JmesPath::Search(const Json& data, JmesPathErrorKind* kind) const {
  if (kind != nullptr) *kind = JmesPathErrorKind::kNone;
  try {
    return Evaluator().Eval(*root_, data);
  } catch (const JmesError& e) {
    return ToStatus(e, kind);
  }
}

}  // namespace skiff::cli
