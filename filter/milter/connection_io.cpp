// filter/milter/connection_io.cpp — serveConnection (see connection.h): the blocking read/parse/
// write loop of one milter connection. Reads as much as the socket has into a large buffer,
// handles every complete packet, then writes all collected replies in one send() just before the
// next read. Timeouts come from SO_RCVTIMEO/SO_SNDTIMEO on the socket (set by the listener).
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "filter/milter/codec.h"
#include "filter/milter/connection.h"

namespace am::milter {
namespace {

bool sendAll(int fd, const std::string& data, ServeStats& st) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    ++st.writes;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Makes room for at least `need` bytes of one packet at the front of the buffer.
void ensureCapacity(IoBuffers& buf, size_t used, size_t need) {
  size_t want = std::max(need, IoBuffers::kInitialInput);
  if (buf.in && buf.capacity >= want) return;
  std::unique_ptr<char[]> bigger(new char[want]);
  if (used) std::memcpy(bigger.get(), buf.in.get(), used);
  buf.in = std::move(bigger);
  buf.capacity = want;
}

enum class ParseEnd { NeedMore, Close };

// Handles every complete packet in [start, end); advances start. `need` gets the size of the
// incomplete packet at the front (0 when unknown).
ParseEnd handlePackets(Connection& c, IoBuffers& buf, size_t& start, size_t end, size_t& need, ServeStats& st,
                       core::Logger& log) {
  for (;;) {
    Frame f = nextFrame(std::string_view(buf.in.get() + start, end - start));
    if (f.status == Frame::Status::Malformed) {
      log.warning("milter peer " + c.peer() + ": packet length " + std::to_string(f.length) +
                  " out of range; closing the connection");
      return ParseEnd::Close;
    }
    if (f.status == Frame::Status::NeedMore) {
      need = f.size;
      return ParseEnd::NeedMore;
    }
    ++st.packets;
    start += f.size;
    if (c.onPacket(f.cmd, f.data, buf.out) == Connection::Next::Close) return ParseEnd::Close;
  }
}

}  // namespace

ServeStats serveConnection(int fd, core::Engine& engine, IoBuffers& buf, const std::string& peer) {
  ServeStats st;
  Connection conn(engine, peer);
  buf.out.clear();
  ensureCapacity(buf, 0, 0);
  size_t start = 0, end = 0;
  for (;;) {
    size_t need = 0;
    bool close = handlePackets(conn, buf, start, end, need, st, engine.log()) == ParseEnd::Close;
    if (!buf.out.empty()) {
      if (!sendAll(fd, buf.out, st)) {
        if (!close) engine.log().warning("milter peer " + peer + ": write failed: " + std::strerror(errno));
        break;
      }
      buf.out.clear();
    }
    if (close) break;
    // Move the incomplete packet to the front, then read as much as fits.
    size_t rest = end - start;
    if (start > 0 && rest > 0) std::memmove(buf.in.get(), buf.in.get() + start, rest);
    start = 0;
    end = rest;
    ensureCapacity(buf, end, need);
    ssize_t n = ::recv(fd, buf.in.get() + end, buf.capacity - end, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) break;  // the MTA closed: the Session (and any transaction) ends with `conn`
    if (n < 0) {
      const char* why = errno == EAGAIN || errno == EWOULDBLOCK ? "read timeout" : std::strerror(errno);
      engine.log().warning("milter peer " + peer + ": " + why + "; closing the connection");
      break;
    }
    ++st.reads;
    end += static_cast<size_t>(n);
  }
  return st;
}

}  // namespace am::milter
