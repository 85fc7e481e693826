// The one JSON reading API of the collectors, the doctor's evidence parsers and the tests.
//
// A JsonDocument is a parsed response: simdjson's DOM, a flat tape in two allocations (no tree of
// small nodes), parsed once and shared read-only by every collector that asked for it. Parsing a
// 5 MB /connz this way is about ten times cheaper than building an nlohmann tree, and freeing it is
// two free() calls (tests/bench/bench_json_parse.cpp measures both).
//
// A JsonValue is a cheap view (24 bytes, copied by value) into a JsonDocument: it is valid while
// its document lives. A missing value (find() of an absent key, child() of a non-object) is a
// JsonValue that is none of object/array/string/number/bool/null; every reader is total and never
// throws. simdjson stays an implementation detail: this header does not include it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace natsexp {

class JsonDocument;
struct JsonMember;
struct JsonAccess;  // json.cpp's bridge to simdjson

class JsonValue {
 public:
  enum class Kind : std::uint8_t { missing, null, boolean, number, string, array, object };

  JsonValue() = default;  // missing

  Kind kind() const { return kind_; }
  bool exists() const { return kind_ != Kind::missing; }
  bool is_null() const { return kind_ == Kind::null; }
  bool is_bool() const { return kind_ == Kind::boolean; }
  bool is_number() const { return kind_ == Kind::number; }
  bool is_string() const { return kind_ == Kind::string; }
  bool is_array() const { return kind_ == Kind::array; }
  bool is_object() const { return kind_ == Kind::object; }
  // "object", "array", "string", "number", "boolean", "null" or "missing" (for messages).
  const char* type_name() const;

  // The value as a number (integers of either sign and floats), else nullopt.
  std::optional<double> as_number() const;
  // An integer in 0..2^64-1 written as an integer (not a float), else nullopt.
  std::optional<std::uint64_t> as_unsigned() const;
  // An integer in int64 written as an integer, else nullopt.
  std::optional<std::int64_t> as_integer() const;
  // The string, a view into the document (valid while it lives), else nullopt.
  std::optional<std::string_view> as_string() const;
  std::optional<bool> as_bool() const;

  // The member `key` of an object; missing when this is not an object or has no such key.
  JsonValue find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key).exists(); }
  // Elements of an array or members of an object; 0 for anything else.
  std::size_t size() const;
  bool empty() const { return size() == 0; }

  // Iteration over an array's elements (nothing for a non-array): for (JsonValue e : array) …
  class ArrayIterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = JsonValue;
    using difference_type = std::ptrdiff_t;
    using pointer = const JsonValue*;
    using reference = JsonValue;
    JsonValue operator*() const;
    ArrayIterator& operator++();
    bool operator==(const ArrayIterator& other) const;
    bool operator!=(const ArrayIterator& other) const { return !(*this == other); }

   private:
    friend class JsonValue;
    alignas(8) unsigned char opaque_[16]{};  // simdjson::dom::array::iterator
  };
  ArrayIterator begin() const;
  ArrayIterator end() const;

  // Iteration over an object's members (nothing for a non-object): for (auto [key, value] : v.members()) …
  using Member = JsonMember;
  class MemberIterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Member;
    using difference_type = std::ptrdiff_t;
    using pointer = const Member*;
    using reference = Member;
    Member operator*() const;
    MemberIterator& operator++();
    bool operator==(const MemberIterator& other) const;
    bool operator!=(const MemberIterator& other) const { return !(*this == other); }

   private:
    friend class JsonValue;
    alignas(8) unsigned char opaque_[16]{};  // simdjson::dom::object::iterator
  };
  struct Members {
    MemberIterator first, last;
    MemberIterator begin() const { return first; }
    MemberIterator end() const { return last; }
  };
  Members members() const;

 private:
  friend struct JsonAccess;
  alignas(8) unsigned char opaque_[16]{};  // simdjson::dom::element (valid unless missing)
  Kind kind_ = Kind::missing;
};

// One member of an object, as iterated by JsonValue::members().
struct JsonMember {
  std::string_view key;  // a view into the document
  JsonValue value;
};

// One parsed JSON text. Immutable once parsed; share it as std::shared_ptr<const JsonDocument>.
class JsonDocument {
 public:
  ~JsonDocument();
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;

  JsonValue root() const;
  // Size of the JSON text it was parsed from, in bytes.
  std::size_t text_bytes() const { return text_bytes_; }

 private:
  friend std::shared_ptr<const JsonDocument> parse_json(std::string text);

  // `value` written back as minified JSON text (for a reply nested in an envelope, such as the system
  // account's {"server", "data"}: its "data" becomes a document of its own). "" for a missing value.
  std::string json_text(const JsonValue& value);
  JsonDocument();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::size_t text_bytes_ = 0;
};

// Parses `text` (taken by value: its buffer is padded in place for the SIMD parser, and freed
// before this returns). Throws FetchError ("the response is not valid JSON: …") when it is not one
// complete JSON value.
std::shared_ptr<const JsonDocument> parse_json(std::string text);

// `value` written back as minified JSON text (for a reply nested in an envelope, such as the system
// account's {"server", "data"}: its "data" becomes a document of its own). "" for a missing value.
std::string json_text(const JsonValue& value);

// A document read in parts (parse_json_elements, MonitorSource::get_json_elements).
struct JsonElements {
  // The document without its big array: every other top-level member (the array itself, when
  // parsed in parts, is left empty). Read the element count below, not the array.
  std::shared_ptr<const JsonDocument> rest;
  std::size_t elements = 0;  // elements handed to the callback
};
// Called with each element of the array, as a document of its own valid only during the call.
using JsonElementCallback = std::function<void(const JsonValue& element)>;

// Parses `text`, a JSON object whose bulk is the array under the top-level key `array_key` (a
// /connz and its "connections"), without ever holding the whole of it parsed: each element is
// parsed alone and handed to `on_element`, in order, then freed. A parsed 6.6 MB /connz is ~10 MB
// of tape and strings beside the body; this keeps one element's instead (peak RSS of the full
// read). Every byte is still validated. Throws FetchError as parse_json does, also when `text` is
// not an object; a missing or non-array `array_key` leaves it in `rest` and calls nothing.
JsonElements parse_json_elements(std::string text, std::string_view array_key, const JsonElementCallback& on_element);

}  // namespace natsexp
