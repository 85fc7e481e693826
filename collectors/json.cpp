#include "collectors/json.h"

#include <cstring>
#include <new>
#include <optional>

#include <simdjson.h>

#include "collectors/fetch_error.h"

namespace natsexp {

namespace dom = simdjson::dom;

// JsonValue and its iterators keep simdjson's handles (a document pointer and a tape index) in
// opaque storage so that our headers need not include simdjson.h.
static_assert(sizeof(dom::element) == 16 && alignof(dom::element) <= 8, "JsonValue's storage must fit dom::element");
static_assert(sizeof(dom::array::iterator) == 16 && alignof(dom::array::iterator) <= 8,
              "ArrayIterator's storage must fit dom::array::iterator");
static_assert(sizeof(dom::object::iterator) == 16 && alignof(dom::object::iterator) <= 8,
              "MemberIterator's storage must fit dom::object::iterator");
static_assert(std::is_trivially_copyable_v<dom::element> && std::is_trivially_copyable_v<dom::array::iterator> &&
                  std::is_trivially_copyable_v<dom::object::iterator>,
              "the handles are copied as bytes");

namespace {

template <typename T>
T load(const unsigned char (&storage)[16]) {
  T value;
  std::memcpy(static_cast<void*>(&value), storage, sizeof(T));
  return value;
}

template <typename T>
void store(unsigned char (&storage)[16], const T& value) {
  std::memcpy(storage, static_cast<const void*>(&value), sizeof(T));
}

JsonValue::Kind kind_of(dom::element_type type) {
  switch (type) {
    case dom::element_type::ARRAY: return JsonValue::Kind::array;
    case dom::element_type::OBJECT: return JsonValue::Kind::object;
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: return JsonValue::Kind::number;
    case dom::element_type::STRING: return JsonValue::Kind::string;
    case dom::element_type::BOOL: return JsonValue::Kind::boolean;
    case dom::element_type::NULL_VALUE: return JsonValue::Kind::null;
  }
  return JsonValue::Kind::missing;
}

// Bodies up to this size are parsed with the thread's reusable parser; a larger one gets a parser
// of its own, freed with it, so a worker thread does not keep a 5 MB body's index buffers forever.
constexpr std::size_t kReusableParserBytes = 1 << 20;

}  // namespace

// Builds a JsonValue from a dom::element (also used by the iterators).
struct JsonAccess {
  static JsonValue wrap(const dom::element& e) {
    JsonValue v;
    store(v.opaque_, e);
    v.kind_ = kind_of(e.type());
    return v;
  }
  static dom::element element(const JsonValue& v) { return load<dom::element>(v.opaque_); }
};

const char* JsonValue::type_name() const {
  switch (kind_) {
    case Kind::missing: return "missing";
    case Kind::null: return "null";
    case Kind::boolean: return "boolean";
    case Kind::number: return "number";
    case Kind::string: return "string";
    case Kind::array: return "array";
    case Kind::object: return "object";
  }
  return "missing";
}

std::optional<double> JsonValue::as_number() const {
  if (kind_ != Kind::number) return std::nullopt;
  double d = 0;
  if (load<dom::element>(opaque_).get_double().get(d)) return std::nullopt;
  return d;
}

std::optional<std::uint64_t> JsonValue::as_unsigned() const {
  if (kind_ != Kind::number) return std::nullopt;
  const auto e = load<dom::element>(opaque_);
  if (e.type() == dom::element_type::DOUBLE) return std::nullopt;
  std::uint64_t u = 0;
  if (e.get_uint64().get(u)) return std::nullopt;  // a negative integer
  return u;
}

std::optional<std::int64_t> JsonValue::as_integer() const {
  if (kind_ != Kind::number) return std::nullopt;
  const auto e = load<dom::element>(opaque_);
  if (e.type() == dom::element_type::DOUBLE) return std::nullopt;
  std::int64_t i = 0;
  if (e.get_int64().get(i)) return std::nullopt;  // above int64's range
  return i;
}

std::optional<std::string_view> JsonValue::as_string() const {
  if (kind_ != Kind::string) return std::nullopt;
  std::string_view s;
  if (load<dom::element>(opaque_).get_string().get(s)) return std::nullopt;
  return s;
}

std::optional<bool> JsonValue::as_bool() const {
  if (kind_ != Kind::boolean) return std::nullopt;
  bool b = false;
  if (load<dom::element>(opaque_).get_bool().get(b)) return std::nullopt;
  return b;
}

JsonValue JsonValue::find(std::string_view key) const {
  if (kind_ != Kind::object) return {};
  dom::object object;
  if (load<dom::element>(opaque_).get_object().get(object)) return {};
  // Members are few: a linear scan of the tape, comparing raw keys (NATS keys need no unescaping).
  for (auto it = object.begin(); it != object.end(); ++it)
    if (it.key() == key) return JsonAccess::wrap(it.value());
  return {};
}

std::size_t JsonValue::size() const {
  const auto e = load<dom::element>(opaque_);
  if (kind_ == Kind::array) {
    dom::array array;
    if (e.get_array().get(array)) return 0;
    std::size_t n = array.size();
    if (n < 0xFFFFFF) return n;  // the tape saturates its count at 2^24-1: count by hand above that
    n = 0;
    for (auto it = array.begin(); it != array.end(); ++it) ++n;
    return n;
  }
  if (kind_ == Kind::object) {
    dom::object object;
    if (e.get_object().get(object)) return 0;
    std::size_t n = object.size();
    if (n < 0xFFFFFF) return n;
    n = 0;
    for (auto it = object.begin(); it != object.end(); ++it) ++n;
    return n;
  }
  return 0;
}

JsonValue::ArrayIterator JsonValue::begin() const {
  ArrayIterator it;
  dom::array array;
  if (kind_ == Kind::array && !load<dom::element>(opaque_).get_array().get(array)) store(it.opaque_, array.begin());
  return it;
}

JsonValue::ArrayIterator JsonValue::end() const {
  ArrayIterator it;
  dom::array array;
  if (kind_ == Kind::array && !load<dom::element>(opaque_).get_array().get(array)) store(it.opaque_, array.end());
  return it;
}

JsonValue JsonValue::ArrayIterator::operator*() const { return JsonAccess::wrap(*load<dom::array::iterator>(opaque_)); }

JsonValue::ArrayIterator& JsonValue::ArrayIterator::operator++() {
  auto it = load<dom::array::iterator>(opaque_);
  ++it;
  store(opaque_, it);
  return *this;
}

bool JsonValue::ArrayIterator::operator==(const ArrayIterator& other) const {
  return std::memcmp(opaque_, other.opaque_, sizeof opaque_) == 0;
}

JsonValue::Members JsonValue::members() const {
  Members m;
  dom::object object;
  if (kind_ == Kind::object && !load<dom::element>(opaque_).get_object().get(object)) {
    store(m.first.opaque_, object.begin());
    store(m.last.opaque_, object.end());
  }
  return m;
}

JsonValue::Member JsonValue::MemberIterator::operator*() const {
  const auto it = load<dom::object::iterator>(opaque_);
  return {it.key(), JsonAccess::wrap(it.value())};
}

JsonValue::MemberIterator& JsonValue::MemberIterator::operator++() {
  auto it = load<dom::object::iterator>(opaque_);
  ++it;
  store(opaque_, it);
  return *this;
}

bool JsonValue::MemberIterator::operator==(const MemberIterator& other) const {
  return std::memcmp(opaque_, other.opaque_, sizeof opaque_) == 0;
}

struct JsonDocument::Impl {
  dom::document document;
};

JsonDocument::JsonDocument() : impl_(std::make_unique<Impl>()) {}
JsonDocument::~JsonDocument() = default;

JsonValue JsonDocument::root() const { return JsonAccess::wrap(impl_->document.root()); }

namespace {

[[noreturn]] void invalid_json(simdjson::error_code error) {
  throw FetchError(std::string("the response is not valid JSON: ") + simdjson::error_message(error));
}

void check(simdjson::error_code error) {
  if (error) invalid_json(error);
}

// The parser for `length` bytes: this thread's, whose capacity is kept, up to kReusableParserBytes;
// a bigger body gets one of its own in `fresh`, so its buffers go with it.
dom::parser& parser_for(std::size_t length, std::optional<dom::parser>& fresh) {
  thread_local dom::parser reusable;
  if (length <= kReusableParserBytes) return reusable;
  return fresh.emplace();
}

}  // namespace

std::shared_ptr<const JsonDocument> parse_json(std::string text) {
  std::shared_ptr<JsonDocument> doc(new JsonDocument());
  doc->text_bytes_ = text.size();
  const std::size_t length = text.size();
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: pad in place rather than copy.
  text.append(simdjson::SIMDJSON_PADDING, '\0');
  std::optional<dom::parser> fresh;
  check(parser_for(length, fresh).parse_into_document(doc->impl_->document, text.data(), length, false).error());
  return doc;
}

std::string json_text(const JsonValue& value) {
  if (!value.exists()) return "";
  return simdjson::to_string(JsonAccess::element(value));
}

namespace {

namespace ondemand = simdjson::ondemand;

// The text of one value as it stands in the body (the On-Demand iterator moves past it).
std::string_view raw_text(ondemand::value& value) {
  ondemand::json_type type;
  check(value.type().get(type));
  std::string_view raw;
  if (type == ondemand::json_type::object) {
    ondemand::object object;
    check(value.get_object().get(object));
    check(object.raw_json().get(raw));
  } else if (type == ondemand::json_type::array) {
    ondemand::array array;
    check(value.get_array().get(array));
    check(array.raw_json().get(raw));
  } else {
    raw = value.raw_json_token();
  }
  return raw;
}

// A key written back as a JSON string (the keys of the rest document).
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      static const char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  out += '"';
}

}  // namespace

JsonElements parse_json_elements(std::string text, std::string_view array_key, const JsonElementCallback& on_element) {
  JsonElements out;
  const std::size_t length = text.size();
  text.append(simdjson::SIMDJSON_PADDING, '\0');
  std::string rest = "{";
  {
    // On-Demand: a structural index of the body, no tape; only the elements are parsed to a DOM.
    ondemand::parser scanner;
    ondemand::document document;
    check(scanner.iterate(text.data(), length, text.size()).get(document));
    ondemand::object top;
    check(document.get_object().get(top));
    std::string element_text;
    for (auto member : top) {
      ondemand::field field;
      check(std::move(member).get(field));
      std::string_view key;
      check(field.unescaped_key().get(key));
      if (rest.size() > 1) rest += ',';
      append_json_string(rest, key);
      rest += ':';
      ondemand::value value = field.value();
      ondemand::json_type type;
      check(value.type().get(type));
      if (key != array_key || type != ondemand::json_type::array) {
        rest += raw_text(value);
        continue;
      }
      rest += "[]";
      ondemand::array array;
      check(value.get_array().get(array));
      for (auto item : array) {
        ondemand::value element;
        check(std::move(item).get(element));
        const std::string_view raw = raw_text(element);
        element_text.assign(raw);
        element_text.append(simdjson::SIMDJSON_PADDING, '\0');
        std::optional<dom::parser> fresh;
        dom::element parsed;
        check(parser_for(raw.size(), fresh).parse(element_text.data(), raw.size(), false).get(parsed));
        on_element(JsonAccess::wrap(parsed));
        ++out.elements;
      }
    }
    // Past the object's closing brace, the structural index must be at its end.
    if (document.current_location().error() != simdjson::OUT_OF_BOUNDS) invalid_json(simdjson::TRAILING_CONTENT);
  }
  text = std::string();  // the body goes before the rest is parsed
  rest += '}';
  out.rest = parse_json(std::move(rest));
  return out;
}

}  // namespace natsexp
