// common/blocking.cpp — see blocking.h.
#include "common/blocking.h"

namespace am {
namespace {
struct Installed {
  BlockingHook hook = nullptr;
  void* arg = nullptr;
};
thread_local Installed installed;
}  // namespace

void setBlockingHook(BlockingHook hook, void* arg) { installed = {hook, arg}; }

void aboutToBlock() {
  if (installed.hook) installed.hook(installed.arg, true);
}

void doneBlocking() {
  if (installed.hook) installed.hook(installed.arg, false);
}

}  // namespace am
