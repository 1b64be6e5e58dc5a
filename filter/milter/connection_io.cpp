// filter/milter/connection_io.cpp — serveReady (see connection.h): one non-blocking step of a milter
// connection. Reads what the socket has into a large buffer, handles every complete packet, then
// writes all collected replies in one send() once the socket is empty. A send() that would block
// leaves the rest in `out` for the next step (the server then waits until the socket is writable);
// no reads happen meanwhile, so a peer that does not read cannot make us buffer without bound.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "filter/milter/codec.h"
#include "filter/milter/connection.h"

namespace am::milter {
namespace {

enum class Sent { All, Partial, Failed };

// Writes as much of `out` as the socket takes; erases what was written.
Sent flush(int fd, std::string& out, ServeStats& st) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::send(fd, out.data() + done, out.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) return Sent::Failed;
    ++st.writes;
    done += static_cast<size_t>(n);
  }
  out.erase(0, done);
  return out.empty() ? Sent::All : Sent::Partial;
}

// Makes room for at least `need` bytes of one packet at the front of the buffer, moving the
// incomplete packet [start, end) to the front.
void makeRoom(InputBuffer& in, size_t need) {
  size_t used = in.end - in.start;
  size_t want = std::max(need, InputBuffer::kInitial);
  if (in.data && in.capacity >= want) {
    if (in.start > 0 && used > 0) std::memmove(in.data.get(), in.data.get() + in.start, used);
  } else {
    std::unique_ptr<char[]> bigger(new char[want]);
    if (used) std::memcpy(bigger.get(), in.data.get() + in.start, used);
    in.data = std::move(bigger);
    in.capacity = want;
  }
  in.start = 0;
  in.end = used;
}

enum class ParseEnd { NeedMore, Close };

// Handles every complete packet in the buffer. `need` gets the size of the incomplete packet at
// the front (0 when unknown).
ParseEnd handlePackets(Connection& c, InputBuffer& in, std::string& out, size_t& need, ServeStats& st,
                       core::Logger& log) {
  for (;;) {
    Frame f = nextFrame(std::string_view(in.data.get() + in.start, in.end - in.start));
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
    in.start += f.size;
    if (c.onPacket(f.cmd, f.data, out) == Connection::Next::Close) return ParseEnd::Close;
  }
}

}  // namespace

IoWait serveReady(int fd, Connection& conn, InputBuffer& in, std::string& out, ServeStats& st, core::Logger& log,
                  int maxReads) {
  if (!out.empty()) {  // replies left from the last step
    Sent s = flush(fd, out, st);
    if (s == Sent::Failed) {
      log.warning("milter peer " + conn.peer() + ": write failed: " + std::strerror(errno));
      return IoWait::Close;
    }
    if (s == Sent::Partial) return IoWait::Write;
  }
  // Every complete packet was handled by the last step: the buffer holds at most the start of one.
  size_t need = in.empty() ? 0 : nextFrame(std::string_view(in.data.get() + in.start, in.end - in.start)).size;
  for (int round = 0; round < maxReads; ++round) {
    if (in.empty()) in.start = in.end = 0;
    if (!in.data || in.end == in.capacity || need > in.capacity - in.start) makeRoom(in, need);
    size_t room = in.capacity - in.end;
    ssize_t n = ::recv(fd, in.data.get() + in.end, room, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n == 0) return IoWait::Close;  // the MTA closed: the Session (and any transaction) ends with `conn`
    if (n < 0) {
      log.warning("milter peer " + conn.peer() + ": " + std::strerror(errno) + "; closing the connection");
      return IoWait::Close;
    }
    ++st.reads;
    in.end += static_cast<size_t>(n);
    need = 0;
    if (handlePackets(conn, in, out, need, st, log) == ParseEnd::Close) {
      flush(fd, out, st);  // best effort: QUIT and protocol errors end the connection anyway
      return IoWait::Close;
    }
    if (static_cast<size_t>(n) < room) break;  // a short read: the socket had no more
  }
  if (!out.empty()) {
    Sent s = flush(fd, out, st);
    if (s == Sent::Failed) {
      log.warning("milter peer " + conn.peer() + ": write failed: " + std::strerror(errno));
      return IoWait::Close;
    }
    if (s == Sent::Partial) return IoWait::Write;
  }
  return IoWait::Read;
}

}  // namespace am::milter
