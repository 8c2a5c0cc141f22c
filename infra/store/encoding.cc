#include "infra/store/encoding.h"

#include <cstring>

namespace mneme::infra::store {
namespace {

constexpr uint8_t kEnvelopeFormat = 1;

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void PutBytes(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool Varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (in_.empty()) {
        return false;
      }
      auto b = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return true;
      }
    }
    return false;
  }
  bool Fixed64(uint64_t& v) {
    if (in_.size() < 8) {
      return false;
    }
    v = DecodeBe64(in_);
    in_.remove_prefix(8);
    return true;
  }
  bool Bytes(std::string& s) {
    uint64_t n = 0;
    if (!Varint(n) || n > in_.size()) {
      return false;
    }
    s.assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool Byte(uint8_t& b) {
    if (in_.empty()) {
      return false;
    }
    b = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace

std::string EncodeBe64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

uint64_t DecodeBe64(std::string_view s) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<uint8_t>(s[i]);
  }
  return v;
}

std::string StreamKey(std::string_view stream, uint64_t version) {
  std::string key;
  key.reserve(stream.size() + 9);
  key.append(stream);
  key.push_back('\0');
  key.append(EncodeBe64(version));
  return key;
}

std::string ClaimKey(std::string_view kind, std::string_view value) {
  std::string key;
  key.reserve(kind.size() + value.size() + 1);
  key.append(kind);
  key.push_back('\0');
  key.append(value);
  return key;
}

std::string EncodeEnvelope(const domain::EventEnvelope& e) {
  std::string out;
  out.reserve(48 + e.stream.size() + e.type.size() + e.actor.size() +
              e.request_id.size() + e.data.size());
  out.push_back(static_cast<char>(kEnvelopeFormat));
  out.append(EncodeBe64(e.position.value()));
  PutVarint(out, e.version.value());
  PutVarint(out, e.schema);
  out.append(EncodeBe64(static_cast<uint64_t>(e.time.micros)));
  PutBytes(out, e.stream);
  PutBytes(out, e.type);
  PutBytes(out, e.actor);
  PutBytes(out, e.request_id);
  PutBytes(out, e.data);
  return out;
}

Result<domain::EventEnvelope> DecodeEnvelope(std::string_view bytes) {
  Reader r(bytes);
  domain::EventEnvelope e;
  uint8_t format = 0;
  uint64_t pos = 0, version = 0, schema = 0, time = 0;
  bool ok = r.Byte(format) && format == kEnvelopeFormat && r.Fixed64(pos) &&
            r.Varint(version) && r.Varint(schema) && r.Fixed64(time) &&
            r.Bytes(e.stream) && r.Bytes(e.type) && r.Bytes(e.actor) &&
            r.Bytes(e.request_id) && r.Bytes(e.data) && r.done();
  if (!ok) {
    return MakeError(Code::kDataLoss, "corrupt event envelope");
  }
  e.position = GlobalPosition(pos);
  e.version = StreamVersion(version);
  e.schema = static_cast<uint32_t>(schema);
  e.time.micros = static_cast<int64_t>(time);
  return e;
}

}  // namespace mneme::infra::store
