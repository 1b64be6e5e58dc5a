// tests/fuzz/milter_codec_fuzz.cpp — libFuzzer target: milter packet framing and field reading
// (filter/milter/codec.h) over an arbitrary byte stream. Every complete frame must lie inside the
// input; every field reader must stop at the end of its packet. Stateless.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "filter/milter/codec.h"

using namespace am::milter;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // A small limit too, so the Malformed branch is reached without megabyte inputs.
  uint32_t limit = size > 0 && (data[0] & 1) ? 64 : kMaxPacketLength;
  while (!in.empty()) {
    Frame f = nextFrame(in, limit);
    if (f.status != Frame::Status::Complete) break;
    if (f.size == 0 || f.size > in.size() || f.data.data() < in.data() ||
        f.data.data() + f.data.size() > in.data() + in.size())
      std::abort();
    FieldReader r(f.data);
    // Read in the order the command's data is laid out, whatever the command says it is.
    for (int i = 0; i < 64 && !r.done(); ++i) {
      switch ((static_cast<unsigned char>(f.cmd) + i) % 4) {
        case 0: (void)r.u32(); break;
        case 1: (void)r.u16(); break;
        case 2: (void)r.byte(); break;
        default:
          if (!r.str()) (void)r.rest();
      }
    }
    in.remove_prefix(f.size);
  }
  // The encoder side: whatever text we put in a reply must frame back to one complete packet.
  std::string out;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  appendReplyCode(out, "550", "5.7.1", text.substr(0, 2048));
  Frame back = nextFrame(out);
  if (back.status != Frame::Status::Complete || back.size != out.size()) std::abort();
  return 0;
}
