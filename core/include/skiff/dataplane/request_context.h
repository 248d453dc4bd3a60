// SPDX-License-Identifier: Apache-2.0
// RequestContext: what a scoring job carries of its HTTP request (the ids
// of request_ids.h) to the model that scores it. std only, so the scoring
// pool's header stays free of HTTP.
#pragma once

#include <string>

namespace skiff::dataplane {

// What a scoring job carries of its request for whoever its model asks
// onward (the router's UpstreamModel): the request's x-ms-request-id and the
// traceparent that names this server's span. LoadedModel::Score (the plugin
// ABI) has no room for it, so the scoring pool makes it the worker thread's
// current context while Score runs, as OpenTelemetry's context does.
struct RequestContext {
  std::string request_id;
  std::string traceparent;
};

// The context of the job the calling thread is scoring; null outside one.
const RequestContext* CurrentRequestContext();

// Makes `context` current on this thread for the scope's life.
class ScopedRequestContext {
 public:
  explicit ScopedRequestContext(const RequestContext* context);
  ~ScopedRequestContext();
  ScopedRequestContext(const ScopedRequestContext&) = delete;
  ScopedRequestContext& operator=(const ScopedRequestContext&) = delete;

 private:
  const RequestContext* previous_;
};

}  // namespace skiff::dataplane
