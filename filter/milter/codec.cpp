// filter/milter/codec.cpp — see codec.h.
#include "filter/milter/codec.h"

#include "filter/milter/protocol.h"

namespace am::milter {

Frame nextFrame(std::string_view buf, uint32_t maxLength) {
  Frame f;
  if (buf.size() < 4) return f;
  uint32_t len = 0;
  for (int i = 0; i < 4; ++i) len = (len << 8) | static_cast<unsigned char>(buf[i]);
  f.length = len;
  if (len == 0 || len > maxLength) {
    f.status = Frame::Status::Malformed;
    return f;
  }
  f.size = 4 + static_cast<size_t>(len);
  if (buf.size() < f.size) return f;
  f.status = Frame::Status::Complete;
  f.cmd = buf[4];
  f.data = buf.substr(5, len - 1);
  return f;
}

std::optional<uint32_t> FieldReader::u32() {
  if (d_.size() - pos_ < 4) return std::nullopt;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(d_[pos_++]);
  return v;
}

std::optional<uint16_t> FieldReader::u16() {
  if (d_.size() - pos_ < 2) return std::nullopt;
  auto v = static_cast<uint16_t>((static_cast<unsigned char>(d_[pos_]) << 8) | static_cast<unsigned char>(d_[pos_ + 1]));
  pos_ += 2;
  return v;
}

std::optional<char> FieldReader::byte() {
  if (pos_ >= d_.size()) return std::nullopt;
  return d_[pos_++];
}

std::optional<std::string_view> FieldReader::str() {
  size_t nul = d_.find('\0', pos_);
  if (nul == std::string_view::npos) return std::nullopt;
  std::string_view s = d_.substr(pos_, nul - pos_);
  pos_ = nul + 1;
  return s;
}

std::string_view FieldReader::rest() {
  std::string_view s = d_.substr(pos_);
  pos_ = d_.size();
  return s;
}

void putU32(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 4);
}

void putStr(std::string& out, std::string_view s) {
  out.append(s.substr(0, s.find('\0')));
  out.push_back('\0');
}

size_t beginPacket(std::string& out, char cmd) {
  size_t start = out.size();
  out.append(4, '\0');
  out.push_back(cmd);
  return start;
}

void finishPacket(std::string& out, size_t start) {
  auto len = static_cast<uint32_t>(out.size() - start - 4);
  for (int i = 0; i < 4; ++i) out[start + i] = static_cast<char>(len >> (24 - 8 * i));
}

void appendPacket(std::string& out, char cmd, std::string_view data) {
  size_t start = beginPacket(out, cmd);
  out.append(data);
  finishPacket(out, start);
}

void appendReplyCode(std::string& out, std::string_view rcode, std::string_view xcode, std::string_view text) {
  size_t start = beginPacket(out, proto::kReplyCode);
  out.append(rcode);
  if (!xcode.empty()) out.append(" ").append(xcode);
  if (!text.empty()) out.push_back(' ');
  out.append(text.substr(0, text.find('\0')));
  out.push_back('\0');
  finishPacket(out, start);
}

}  // namespace am::milter
