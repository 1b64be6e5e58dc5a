// filter/milter/adapter.h — the only code that talks to libmilter. It registers the callbacks,
// turns their C arguments into calls on core::Session and applies the returned core::Verdict (planned
// by apply.h, as for our own server) with smfi_* calls. No decision is made here.
#pragma once
#include <string>

#include "filter/core/engine.h"

namespace am::milter {

// Registers the filter and opens the socket (unix sockets get mode from `umask`). Returns false
// with a message on failure. Must be called before threads that may receive signals are started.
bool setup(core::Engine& engine, const std::string& socketSpec, unsigned umask, unsigned timeoutSeconds,
           std::string* error);
// Runs libmilter's main loop until stop() is called. Returns smfi_main's status.
int run();
// Makes run() return (call from a non-callback thread only).
void stop();

}  // namespace am::milter
