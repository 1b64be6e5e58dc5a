// tests/milterclient/protocol.cpp — see protocol.h.
#include "tests/milterclient/protocol.h"

#include <cstdio>

namespace am::milter_client::wire {

const char* postfixDefaultMacros(MacroStage stage) {
  // postconf -d, Postfix 3.7 (milter_connect_macros ... milter_end_of_data_macros).
  switch (stage) {
    case kMacConnect: return "j {daemon_name} {daemon_addr} v _";
    case kMacHelo: return "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}";
    case kMacMail: return "i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}";
    case kMacRcpt: return "i {rcpt_addr} {rcpt_host} {rcpt_mailer}";
    case kMacData: return "i";
    case kMacEom: return "i";
    case kMacEoh: return "i";
    default: return "";
  }
}

void putU32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

void putU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

void putStr(std::string& out, std::string_view s) {
  out.append(s);
  out.push_back('\0');
}

std::string encode(char cmd, std::string_view data) {
  std::string out;
  out.reserve(5 + data.size());
  putU32(out, static_cast<uint32_t>(data.size() + 1));
  out.push_back(cmd);
  out.append(data);
  return out;
}

std::string encode(const Packet& p) { return encode(p.cmd, p.data); }

std::optional<uint32_t> Reader::u32() {
  if (remaining() < 4) return std::nullopt;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(d_[pos_++]);
  return v;
}

std::optional<uint16_t> Reader::u16() {
  if (remaining() < 2) return std::nullopt;
  uint16_t v = static_cast<uint16_t>((static_cast<unsigned char>(d_[pos_]) << 8) |
                                     static_cast<unsigned char>(d_[pos_ + 1]));
  pos_ += 2;
  return v;
}

std::optional<char> Reader::byte() {
  if (remaining() < 1) return std::nullopt;
  return d_[pos_++];
}

std::optional<std::string> Reader::str() {
  size_t nul = d_.find('\0', pos_);
  if (nul == std::string_view::npos) return std::nullopt;
  std::string s(d_.substr(pos_, nul - pos_));
  pos_ = nul + 1;
  return s;
}

std::string Reader::rest() {
  std::string s(d_.substr(pos_));
  pos_ = d_.size();
  return s;
}

std::optional<std::pair<char, std::vector<std::pair<std::string, std::string>>>> decodeMacros(
    std::string_view data) {
  Reader r(data);
  auto stage = r.byte();
  if (!stage) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!r.done()) {
    auto name = r.str();
    auto value = r.str();
    if (!name || !value) return std::nullopt;
    pairs.emplace_back(std::move(*name), std::move(*value));
  }
  return std::make_pair(*stage, std::move(pairs));
}

static std::string unknownCode(const char* kind, char c) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s 0x%02x", kind, static_cast<unsigned char>(c));
  return buf;
}

std::string commandName(char cmd) {
  switch (cmd) {
    case kAbort: return "SMFIC_ABORT";
    case kBody: return "SMFIC_BODY";
    case kConnect: return "SMFIC_CONNECT";
    case kMacro: return "SMFIC_MACRO";
    case kEndOfBody: return "SMFIC_BODYEOB";
    case kHelo: return "SMFIC_HELO";
    case kQuitNewConn: return "SMFIC_QUIT_NC";
    case kHeader: return "SMFIC_HEADER";
    case kMail: return "SMFIC_MAIL";
    case kEndOfHeaders: return "SMFIC_EOH";
    case kOptNeg: return "SMFIC_OPTNEG";
    case kQuit: return "SMFIC_QUIT";
    case kRcpt: return "SMFIC_RCPT";
    case kData: return "SMFIC_DATA";
    case kUnknown: return "SMFIC_UNKNOWN";
    default: return unknownCode("command", cmd);
  }
}

std::string replyName(char reply) {
  switch (reply) {
    case kAddRcpt: return "SMFIR_ADDRCPT";
    case kDelRcpt: return "SMFIR_DELRCPT";
    case kAddRcptPar: return "SMFIR_ADDRCPT_PAR";
    case kShutdown: return "SMFIR_SHUTDOWN";
    case kAccept: return "SMFIR_ACCEPT";
    case kReplaceBody: return "SMFIR_REPLBODY";
    case kContinue: return "SMFIR_CONTINUE";
    case kDiscard: return "SMFIR_DISCARD";
    case kChangeFrom: return "SMFIR_CHGFROM";
    case kConnFail: return "SMFIR_CONN_FAIL";
    case kAddHeader: return "SMFIR_ADDHEADER";
    case kInsertHeader: return "SMFIR_INSHEADER";
    case kSetSymList: return "SMFIR_SETSYMLIST";
    case kChangeHeader: return "SMFIR_CHGHEADER";
    case kProgress: return "SMFIR_PROGRESS";
    case kQuarantine: return "SMFIR_QUARANTINE";
    case kReject: return "SMFIR_REJECT";
    case kSkip: return "SMFIR_SKIP";
    case kTempFail: return "SMFIR_TEMPFAIL";
    case kReplyCode: return "SMFIR_REPLYCODE";
    case kOptNeg: return "SMFIC_OPTNEG";
    default: return unknownCode("reply", reply);
  }
}

}  // namespace am::milter_client::wire
