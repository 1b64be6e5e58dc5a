// filter/dns/wire.cpp — see wire.h. Pure functions; every read is bounds-checked.
#include "filter/dns/wire.h"

namespace am::dns::wire {
namespace {

constexpr unsigned kMaxPointerJumps = 64;  // belt and braces: pointers must also go backwards
constexpr size_t kMaxWireName = 255;

char lowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// A cursor over the message that never reads past the end.
class Reader {
 public:
  Reader(std::span<const uint8_t> m, size_t pos) : m_(m), pos_(pos) {}
  bool u8(uint8_t& v) {
    if (pos_ + 1 > m_.size()) return false;
    v = m_[pos_++];
    return true;
  }
  bool u16(uint16_t& v) {
    if (pos_ + 2 > m_.size()) return false;
    v = static_cast<uint16_t>(m_[pos_] << 8 | m_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(uint32_t& v) {
    uint16_t hi, lo;
    if (!u16(hi) || !u16(lo)) return false;
    v = static_cast<uint32_t>(hi) << 16 | lo;
    return true;
  }
  bool name(std::string& out) { return readName(m_, pos_, out, pos_); }
  bool skip(size_t n) {
    if (n > m_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  size_t pos() const { return pos_; }
  std::span<const uint8_t> msg() const { return m_; }

 private:
  std::span<const uint8_t> m_;
  size_t pos_;
};

void appendLabelChar(std::string& out, uint8_t c) {
  if (c == '.' || c == '\\') {
    out += '\\';
    out += static_cast<char>(c);
  } else if (c <= 0x20 || c >= 0x7f) {
    out += '\\';
    out += static_cast<char>('0' + c / 100);
    out += static_cast<char>('0' + c / 10 % 10);
    out += static_cast<char>('0' + c % 10);
  } else {
    out += lowerAscii(static_cast<char>(c));
  }
}

bool readHeader(Reader& r, Header& h) {
  return r.u16(h.id) && r.u16(h.flags) && r.u16(h.qdcount) && r.u16(h.ancount) &&
         r.u16(h.nscount) && r.u16(h.arcount);
}

// TXT RDATA: one or more <length, bytes> character-strings, joined.
bool decodeTxt(std::span<const uint8_t> rdata, std::string& out) {
  size_t i = 0;
  while (i < rdata.size()) {
    size_t len = rdata[i++];
    if (len > rdata.size() - i) return false;
    out.append(reinterpret_cast<const char*>(rdata.data() + i), len);
    i += len;
  }
  return true;
}

// Decodes the RDATA of `rr` that starts at r.pos() and is `rdlen` bytes long.
bool decodeRdata(Reader& r, uint16_t rdlen, Rr& rr) {
  size_t start = r.pos(), end = start + rdlen;
  if (rdlen > r.msg().size() - start) return false;
  Reader in(r.msg().first(end), start);  // names inside RDATA may not run past it
  bool ok = true;
  switch (rr.rtype) {
    case type::A:
    case type::AAAA: {
      size_t want = rr.rtype == type::A ? 4 : 16;
      if (rdlen != want) return false;
      rr.data.assign(reinterpret_cast<const char*>(r.msg().data() + start), want);
      ok = in.skip(want);
      break;
    }
    case type::TXT:
      ok = decodeTxt(r.msg().subspan(start, rdlen), rr.data) && in.skip(rdlen);
      break;
    case type::CNAME:
    case type::PTR:
    case type::NS: ok = in.name(rr.data); break;
    case type::MX: ok = in.u16(rr.preference) && in.name(rr.data); break;
    case type::SOA: {
      std::string mname, rname;
      uint32_t serial, refresh, retry, expire;
      ok = in.name(mname) && in.name(rname) && in.u32(serial) && in.u32(refresh) &&
           in.u32(retry) && in.u32(expire) && in.u32(rr.soaMinimum);
      break;
    }
    default: ok = in.skip(rdlen); break;
  }
  if (!ok || in.pos() != end) return false;  // RDATA must be consumed exactly
  return r.skip(rdlen);
}

bool readRr(Reader& r, Rr& rr) {
  uint16_t rdlen;
  if (!r.name(rr.owner) || !r.u16(rr.rtype) || !r.u16(rr.rclass) || !r.u32(rr.ttl) ||
      !r.u16(rdlen))
    return false;
  if (rr.ttl > 0x7fffffffu) rr.ttl = 0;  // RFC 2181 §8: treat as zero
  return decodeRdata(r, rdlen, rr);
}

bool readSection(Reader& r, unsigned count, std::vector<Rr>* out) {
  for (unsigned i = 0; i < count; ++i) {
    Rr rr;
    if (!readRr(r, rr)) return false;  // a bogus count fails here, before any big allocation
    if (out) out->push_back(std::move(rr));
  }
  return true;
}

void putU16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v & 0xff));
}

}  // namespace

bool normalizeName(std::string_view text, Name& out) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text.empty() || text.size() > kMaxName) return false;
  size_t label = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '.') {
      if (label == 0) return false;  // empty label
      label = 0;
    } else {
      if (c < 0x20 || c == 0x7f || ++label > kMaxLabel) return false;  // as am::queryableName
    }
    out.buf[i] = lowerAscii(static_cast<char>(c));
  }
  if (label == 0) return false;
  out.len = text.size();
  return true;
}

std::optional<std::vector<uint8_t>> encodeQuery(const Query& q) {
  Name n;
  if (!normalizeName(q.name, n)) return std::nullopt;
  std::vector<uint8_t> out;
  out.reserve(12 + n.len + 2 + 4 + 11);
  putU16(out, q.id);
  putU16(out, q.recursionDesired ? 0x0100 : 0);
  putU16(out, 1);
  putU16(out, 0);
  putU16(out, 0);
  putU16(out, q.edns ? 1 : 0);
  std::string_view name = n.view();
  while (!name.empty()) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    out.push_back(static_cast<uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  }
  out.push_back(0);
  putU16(out, q.qtype);
  putU16(out, kClassIn);
  if (q.edns) {  // OPT: root owner, class = UDP payload size, TTL 0 (no DO bit), no options
    out.push_back(0);
    putU16(out, type::OPT);
    putU16(out, q.ednsUdpSize);
    putU16(out, 0);
    putU16(out, 0);
    putU16(out, 0);
  }
  return out;
}

bool readName(std::span<const uint8_t> msg, size_t pos, std::string& out, size_t& next) {
  out.clear();
  size_t wireLen = 0;
  unsigned jumps = 0;
  bool jumped = false;
  for (;;) {
    if (pos >= msg.size()) return false;
    uint8_t len = msg[pos];
    if ((len & 0xc0) == 0xc0) {  // compression pointer
      if (pos + 1 >= msg.size()) return false;
      size_t target = static_cast<size_t>(len & 0x3f) << 8 | msg[pos + 1];
      if (target >= pos || ++jumps > kMaxPointerJumps) return false;  // forward/self = loop risk
      if (!jumped) next = pos + 2;
      jumped = true;
      pos = target;
      continue;
    }
    if (len & 0xc0) return false;  // 0x40/0x80 label types are obsolete or unknown
    if (len == 0) {
      if (!jumped) next = pos + 1;
      return true;
    }
    wireLen += len + 1;
    if (wireLen + 1 > kMaxWireName || pos + 1 + len > msg.size()) return false;
    if (!out.empty()) out += '.';
    for (size_t i = 0; i < len; ++i) appendLabelChar(out, msg[pos + 1 + i]);
    pos += 1 + len;
  }
}

std::optional<Preamble> decodePreamble(std::span<const uint8_t> msg) {
  Reader r(msg, 0);
  Preamble p;
  if (!readHeader(r, p.header) || p.header.qdcount != 1) return std::nullopt;
  if (!r.name(p.qname) || !r.u16(p.qtype) || !r.u16(p.qclass)) return std::nullopt;
  return p;
}

std::optional<Message> decodeMessage(std::span<const uint8_t> msg) {
  Reader r(msg, 0);
  Message m;
  if (!readHeader(r, m.header) || m.header.qdcount > 1) return std::nullopt;
  if (m.header.qdcount == 1 && (!r.name(m.qname) || !r.u16(m.qtype) || !r.u16(m.qclass)))
    return std::nullopt;
  if (!readSection(r, m.header.ancount, &m.answers) ||
      !readSection(r, m.header.nscount, &m.authority) ||
      !readSection(r, m.header.arcount, nullptr))
    return std::nullopt;
  return m;
}

bool matchesQuery(const Preamble& reply, uint16_t id, std::string_view qname, uint16_t qtype) {
  if (reply.header.id != id || !reply.header.qr() || reply.qtype != qtype || reply.qclass != kClassIn) return false;
  // readName() gives the presentation form (a space is "\032", a backslash "\\"); our query name
  // is a normalized name whose dots separate labels: compare it in the same form.
  std::string ours;
  ours.reserve(qname.size());
  for (char c : qname) {
    if (c == '.') ours += '.';
    else appendLabelChar(ours, static_cast<uint8_t>(c));
  }
  return reply.qname == ours;
}

}  // namespace am::dns::wire
