// filter/testmsg/mailbox.h — where `authmilter test-message` finds its messages: a message file,
// an mbox (messages after "From " lines; mboxrd unquoting: ">From " -> "From ", ">>From " ->
// ">From "), or a Maildir (the files in cur/ and new/, by name). Mailboxes are read one message at
// a time, so their size is not bounded by memory. Also the RFC 5322 split of one message into
// header fields and body the way the MTA hands them to the milter. Pure functions over files;
// thread-safe.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace am::testmsg {

enum class InputKind { File, Mbox, Maildir };

// A directory with cur/ or new/ is a Maildir; a file whose first line starts with "From " an mbox;
// anything else one message. False (with `err`) when the path cannot be read.
bool detectInput(const std::string& path, InputKind& kind, std::string* err);

struct RawMessage {
  std::string label;           // "FILE", "MBOX#N" or the Maildir file's path
  std::string text;            // the message as stored (LF or CRLF)
  std::string envelopeSender;  // mbox: the address of the "From " line ("" for MAILER-DAEMON)
  bool hasEnvelope = false;
};

// How many messages the input holds (a pass over an mbox that only counts its "From " lines).
size_t countMessages(const std::string& path, InputKind kind);

// Calls `each` for every message of the input, in order. False (with `err`) when a file cannot
// be read; messages before it have been handed out.
bool forEachMessage(const std::string& path, InputKind kind, const std::function<void(RawMessage&&)>& each,
                    std::string* err);

struct ParsedMessage {
  std::vector<std::pair<std::string, std::string>> headers;  // value without the space after ':';
                                                             // folded lines joined with "\n"
  std::string body;                                          // CRLF line endings
};

// Splits a message at the first empty line. A line in the header section that is neither a field
// nor a continuation starts the body, as MTAs treat it.
ParsedMessage parseMessage(std::string_view text);

}  // namespace am::testmsg
