// SPDX-License-Identifier: Apache-2.0
#include "skiff/dataplane/inline_host.h"

namespace skiff::dataplane {

namespace {
thread_local InlineHost* current_host = nullptr;
}  // namespace

InlineWork::~InlineWork() = default;
InlineHost::~InlineHost() = default;

InlineHost* InlineHost::Current() { return current_host; }
void InlineHost::SetCurrent(InlineHost* host) { current_host = host; }

}  // namespace skiff::dataplane
