// SPDX-License-Identifier: Apache-2.0
#include "skiff/grpc/grpc_server.h"

#include <absl/synchronization/mutex.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/proto_buffer_writer.h>
#include <pthread.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <thread>

#include "../protocol/sax_decode.h"  // the request decoders' SAX driver
#include "grpc_predict_v2.pb.h"
#include "skiff/dataplane/tls_context.h"
#include "skiff/protocol/infer_request.h"
#include "skiff/tensor.h"
#include "skiff/util/atomic_file.h"
#include "skiff/util/file.h"
#include "skiff/util/log.h"

namespace skiff::dataplane {
namespace {

using nlohmann::json;

constexpr std::string_view kServicePrefix = "/inference.GRPCInferenceService/";
// Longest model or version name a call may give; names are path segments.
constexpr size_t kMaxNameBytes = 256;

enum class Method {
  kServerLive,
  kServerReady,
  kModelReady,
  kServerMetadata,
  kModelMetadata,
  kModelInfer,
  kUnknown
};

Method MethodOf(std::string_view full) {
  if (full.substr(0, kServicePrefix.size()) != kServicePrefix) return Method::kUnknown;
  const std::string_view m = full.substr(kServicePrefix.size());
  if (m == "ServerLive") return Method::kServerLive;
  if (m == "ServerReady") return Method::kServerReady;
  if (m == "ModelReady") return Method::kModelReady;
  if (m == "ServerMetadata") return Method::kServerMetadata;
  if (m == "ModelMetadata") return Method::kModelMetadata;
  if (m == "ModelInfer") return Method::kModelInfer;
  return Method::kUnknown;
}

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

// gRPC's own metadata and HTTP framing headers never become request
// headers: the data plane frames the request it builds itself.
bool PassesAsHeader(std::string_view key) {
  if (key.empty() || key[0] == ':' || key.substr(0, 5) == "grpc-") return false;
  if (key.size() > 4 && key.substr(key.size() - 4) == "-bin") return false;
  for (std::string_view framing :
       {"content-type", "content-length", "transfer-encoding", "te", "host", "connection", "expect",
        "upgrade", "inference-header-content-length"}) {
    if (key == framing) return false;
  }
  return true;
}

// "ipv4:127.0.0.1:5000" / "ipv6:[::1]:5000" -> the address alone, as the
// HTTP port names a client (the failure limiter's key).
std::string ClientAddress(const std::string& peer) {
  std::string_view p(peer);
  const size_t colon = p.find(':');
  if (colon == std::string_view::npos) return peer;
  std::string_view rest = p.substr(colon + 1);
  if (!rest.empty() && rest[0] == '[') {
    const size_t close = rest.find(']');
    return std::string(rest.substr(1, close == std::string_view::npos ? rest.size() : close - 1));
  }
  if (p.substr(0, colon) == "ipv4") {
    const size_t last = rest.rfind(':');
    return std::string(rest.substr(0, last));
  }
  return std::string(rest);
}

// A model or version name that is one path segment of the OIP route.
bool IsSegment(const std::string& s) {
  if (s.empty() || s.size() > kMaxNameBytes || s == "." || s == "..") return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f || c == '/' || c == '?' || c == '#' || c == '%') return false;
  }
  return true;
}

grpc::Status Refused(grpc::StatusCode code, std::string message) {
  return grpc::Status(code, std::move(message));
}

// The answer's {"error": ...}, else the whole body (it is the data plane's).
std::string ErrorMessage(const HttpResponse& r) {
  auto j = json::parse(r.body(), nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"];
  return std::string(r.reason()) + " (HTTP " + std::to_string(r.result_int()) + ")";
}

grpc::Status StatusOf(const HttpResponse& r) {
  return grpc::Status(static_cast<grpc::StatusCode>(GrpcCodeFor(r.result_int())), ErrorMessage(r));
}

// ---- ModelInfer <-> the OIP route's binary tensor extension ----------------

// Appends `values` as the elements of a `dtype` tensor, little-endian (the
// host's order; skiff builds for little-endian machines only).
template <typename Wire, typename Element>
void AppendAs(const google::protobuf::RepeatedField<Wire>& values, std::string* out) {
  for (Wire v : values) {
    const Element e = static_cast<Element>(v);
    out->append(reinterpret_cast<const char*>(&e), sizeof e);
  }
}

// The typed contents of one input as the bytes raw_input_contents would
// hold; INVALID_ARGUMENT naming the input where its datatype has no typed
// field (FP16, BF16) or another field is filled.
std::optional<grpc::Status> TypedToRaw(const inference::ModelInferRequest::InferInputTensor& in,
                                       std::string* out) {
  const auto& c = in.contents();
  const std::optional<DataType> type = ParseDataType(in.datatype());
  if (!type) return std::nullopt;  // the data plane names the datatype
  switch (*type) {
    case DataType::kBool:
      for (bool b : c.bool_contents()) out->push_back(b ? 1 : 0);
      return std::nullopt;
    case DataType::kInt8:
      AppendAs<int32_t, int8_t>(c.int_contents(), out);
      return std::nullopt;
    case DataType::kInt16:
      AppendAs<int32_t, int16_t>(c.int_contents(), out);
      return std::nullopt;
    case DataType::kInt32:
      AppendAs<int32_t, int32_t>(c.int_contents(), out);
      return std::nullopt;
    case DataType::kInt64:
      AppendAs<int64_t, int64_t>(c.int64_contents(), out);
      return std::nullopt;
    case DataType::kUint8:
      AppendAs<uint32_t, uint8_t>(c.uint_contents(), out);
      return std::nullopt;
    case DataType::kUint16:
      AppendAs<uint32_t, uint16_t>(c.uint_contents(), out);
      return std::nullopt;
    case DataType::kUint32:
      AppendAs<uint32_t, uint32_t>(c.uint_contents(), out);
      return std::nullopt;
    case DataType::kUint64:
      AppendAs<uint64_t, uint64_t>(c.uint64_contents(), out);
      return std::nullopt;
    case DataType::kFp32:
      AppendAs<float, float>(c.fp32_contents(), out);
      return std::nullopt;
    case DataType::kFp64:
      AppendAs<double, double>(c.fp64_contents(), out);
      return std::nullopt;
    case DataType::kBytes: {
      std::vector<uint8_t> data;
      for (const std::string& e : c.bytes_contents()) AppendBytesElement(e, &data);
      out->append(reinterpret_cast<const char*>(data.data()), data.size());
      return std::nullopt;
    }
    case DataType::kFp16:
    case DataType::kBf16:
      return Refused(grpc::StatusCode::INVALID_ARGUMENT,
                     "input '" + in.name() + "' is " + in.datatype() +
                         ", which has no typed contents field; send it in raw_input_contents");
  }
  return std::nullopt;
}

// A protobuf arena whose first block lies in the caller's frame: a
// ModelInfer message's objects (the tensors, repeated fields, string
// objects) come from it instead of one heap allocation each (~20 a call,
// request and response). A string's bytes past 15 (a raw input's, an
// output's) are still that string's own heap buffer, so a raw input is
// still copied once (docs/protocols.md, "Copies"); a bigger message takes
// further blocks from the heap.
class StackArena {
 public:
  StackArena() : arena_(Options(block_)) {}
  google::protobuf::Arena* get() { return &arena_; }

 private:
  static constexpr size_t kBlockBytes = 2048;
  static google::protobuf::ArenaOptions Options(char* block) {
    google::protobuf::ArenaOptions o;
    o.initial_block = block;
    o.initial_block_size = kBlockBytes;
    return o;
  }
  alignas(16) char block_[kBlockBytes];
  google::protobuf::Arena arena_;  // after block_, which it uses
};

// Appends the decimal digits of `v` (no allocation, unlike std::to_string).
template <typename Int>
void AppendInt(Int v, std::string* out) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

// The OIP request the HTTP port would get for `req`, with its tensors held
// apart: a JSON header with every input as binary data and every output
// asked for as binary, and one part per input viewing its bytes where they
// lie (raw_input_contents in `req`, typed contents written out into
// `typed`), so the data plane copies each once, into its tensor
// (HttpHandler::HandleParts). Client mistakes the data plane cannot see
// (the contents' framing) are INVALID_ARGUMENT here. The header is written
// straight into `json_header`: a JSON DOM built and dumped per call was
// ~27 k instructions and ~60 allocations (bench/README.md, "gRPC path,
// sixth session"). Names are the message's proto3 strings, valid UTF-8.
std::optional<grpc::Status> ToOipParts(const inference::ModelInferRequest& req,
                                       std::string* json_header, std::vector<std::string>* typed,
                                       std::vector<std::string_view>* parts) {
  const int n = req.inputs_size();
  const bool raw = req.raw_input_contents_size() > 0;
  if (raw && req.raw_input_contents_size() != n) {
    return Refused(grpc::StatusCode::INVALID_ARGUMENT,
                   "raw_input_contents has " + std::to_string(req.raw_input_contents_size()) +
                       " entries for " + std::to_string(n) +
                       " inputs; send one per input, in `inputs` order");
  }
  if (!raw) typed->assign(n, std::string());
  parts->clear();
  parts->reserve(n);
  std::string& h = *json_header;
  h.clear();
  h.reserve(96 + 128 * static_cast<size_t>(n));
  h += "{\"inputs\":[";
  for (int i = 0; i < n; ++i) {
    const auto& in = req.inputs(i);
    if (raw && in.has_contents()) {
      return Refused(grpc::StatusCode::INVALID_ARGUMENT,
                     "input '" + in.name() +
                         "' has both contents and raw_input_contents; send one of the two");
    }
    if (!raw) {
      if (auto refused = TypedToRaw(in, &(*typed)[i])) return refused;
    }
    parts->push_back(raw ? std::string_view(req.raw_input_contents(i))
                         : std::string_view((*typed)[i]));
    if (i > 0) h += ',';
    h += "{\"name\":";
    log::AppendJsonString(in.name(), &h);
    h += ",\"datatype\":";
    log::AppendJsonString(in.datatype(), &h);
    h += ",\"shape\":[";
    for (int d = 0; d < in.shape_size(); ++d) {
      if (d > 0) h += ',';
      AppendInt(in.shape(d), &h);
    }
    h += "],\"parameters\":{\"binary_data_size\":";
    AppendInt(parts->back().size(), &h);
    h += "}}";
  }
  h += "],\"parameters\":{\"binary_data_output\":true}";
  if (!req.id().empty()) {
    h += ",\"id\":";
    log::AppendJsonString(req.id(), &h);
  }
  if (req.outputs_size() > 0) {
    h += ",\"outputs\":[";
    for (int o = 0; o < req.outputs_size(); ++o) {
      if (o > 0) h += ',';
      h += "{\"name\":";
      log::AppendJsonString(req.outputs(o).name(), &h);
      h += '}';
    }
    h += ']';
  }
  h += '}';
  return std::nullopt;
}

// The JSON part of the data plane's 200 (protocol::EncodeInferResponse with
// every output binary), read by SAX into the ModelInferResponse as it goes:
// the fast tokenizer of the request decoders (protocol::DecodeWithSax),
// nlohmann's SAX parser outside its subset. No DOM: parsing the answer into
// one was ~34 k instructions a call (bench/README.md, "gRPC path, sixth
// session"). Keys it does not know are skipped, as a JSON reader would.
class AnswerParser {
 public:
  // Fills `*response` (cleared first: DecodeWithSax may start over) with
  // everything but the outputs' raw contents.
  explicit AnswerParser(inference::ModelInferResponse* response) : response_(response) {
    response_->Clear();
  }

  const Status& status() const { return status_; }
  bool number_text_needed() const { return false; }  // fast_sax.h: no float is read

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_float(double, const std::string&) { return true; }
  bool binary(nlohmann::json::binary_t&) { return true; }
  bool number_integer(int64_t v) { return Integer(v); }
  bool number_unsigned(uint64_t v) {
    return Integer(static_cast<int64_t>(std::min<uint64_t>(v, INT64_MAX)));
  }
  bool string(std::string& v) {
    if (depth_ == 1) {
      if (at_[1] == Field::kModelName) response_->set_model_name(std::move(v));
      if (at_[1] == Field::kModelVersion) response_->set_model_version(std::move(v));
      if (at_[1] == Field::kId) response_->set_id(std::move(v));
    } else if (InOutput(3)) {
      auto* t = response_->mutable_outputs(response_->outputs_size() - 1);
      if (at_[3] == Field::kName) t->set_name(std::move(v));
      if (at_[3] == Field::kDatatype) t->set_datatype(std::move(v));
    }
    return true;
  }
  bool start_object(size_t) {
    if (!Enter()) return false;
    if (depth_ == 3 && at_[1] == Field::kOutputs) {
      response_->add_outputs();
      sizes_.push_back(kNoSize);
    }
    return true;
  }
  bool start_array(size_t) { return Enter(); }
  bool end_object() { return Leave(); }
  bool end_array() { return Leave(); }
  bool key(std::string& k) {
    if (depth_ >= kDepth) return true;
    at_[depth_] = depth_ == 1   ? TopField(k)
                  : InOutput(3) ? OutputField(k)
                  : InOutput(4) && at_[3] == Field::kParameters && k == "binary_data_size"
                      ? Field::kBinaryDataSize
                      : Field::kOther;
    return true;
  }
  bool parse_error(size_t, const std::string&, const nlohmann::json::exception& e) {
    status_ = InvalidArgument(e.what());
    return false;
  }

  // binary_data_size of each output, in order.
  StatusOr<std::vector<uint64_t>> Finish() {
    for (int i = 0; i < response_->outputs_size(); ++i) {
      if (sizes_[i] == kNoSize) {
        return InvalidArgument("output '" + response_->outputs(i).name() + "' came back as JSON");
      }
    }
    return std::move(sizes_);
  }

 private:
  enum class Field : uint8_t {
    kOther,
    kModelName,
    kModelVersion,
    kId,
    kOutputs,
    kName,
    kDatatype,
    kShape,
    kParameters,
    kBinaryDataSize
  };
  static constexpr uint64_t kNoSize = UINT64_MAX;
  static constexpr int kDepth = 8;  // deeper values are skipped, never read

  static Field TopField(const std::string& k) {
    return k == "model_name"      ? Field::kModelName
           : k == "model_version" ? Field::kModelVersion
           : k == "id"            ? Field::kId
           : k == "outputs"       ? Field::kOutputs
                                  : Field::kOther;
  }
  static Field OutputField(const std::string& k) {
    return k == "name"         ? Field::kName
           : k == "datatype"   ? Field::kDatatype
           : k == "shape"      ? Field::kShape
           : k == "parameters" ? Field::kParameters
                               : Field::kOther;
  }
  // Inside one object of "outputs", `depth` levels down from the answer.
  bool InOutput(int depth) const {
    return depth_ == depth && at_[1] == Field::kOutputs && response_->outputs_size() > 0;
  }
  bool Integer(int64_t v) {
    if (InOutput(4) && at_[3] == Field::kShape) {
      response_->mutable_outputs(response_->outputs_size() - 1)->add_shape(v);
    } else if (InOutput(4) && at_[4] == Field::kBinaryDataSize && v >= 0) {
      sizes_.back() = static_cast<uint64_t>(v);
    }
    return true;
  }
  bool Enter() {
    ++depth_;
    if (depth_ < kDepth) at_[depth_] = Field::kOther;
    return true;
  }
  bool Leave() {
    --depth_;
    return true;
  }

  Status status_;
  inference::ModelInferResponse* const response_;
  std::vector<uint64_t> sizes_;  // binary_data_size per output (kNoSize: none given)
  int depth_ = 0;
  Field at_[kDepth] = {};  // the key each open object is at (by depth)
};

// The data plane's 200 (JSON header + binary outputs) as a
// ModelInferResponse with raw_output_contents.
grpc::Status FromOipAnswer(const HttpResponse& r, inference::ModelInferResponse* out) {
  const std::string& body = r.body();
  size_t json_length = body.size();
  if (auto h = r.find(protocol::kInferenceHeaderContentLength); h != r.end()) {
    auto parsed = protocol::ParseInferenceHeaderLength(
        std::string_view(h->value().data(), h->value().size()), body.size());
    if (!parsed.ok()) return Refused(grpc::StatusCode::INTERNAL, parsed.status().message());
    json_length = *parsed;
  }
  StatusOr<std::vector<uint64_t>> sizes =
      protocol::DecodeWithSax<AnswerParser>(std::string_view(body).substr(0, json_length), out);
  if (!sizes.ok()) {
    return Refused(grpc::StatusCode::INTERNAL,
                   "the answer is not OIP JSON: " + sizes.status().message());
  }
  size_t at = json_length;
  for (int i = 0; i < out->outputs_size(); ++i) {
    const uint64_t size = (*sizes)[i];
    if (size > body.size() - at) {
      return Refused(grpc::StatusCode::INTERNAL,
                     "output '" + out->outputs(i).name() + "' is cut short");
    }
    out->add_raw_output_contents(body.data() + at, size);
    at += size;
  }
  return grpc::Status::OK;
}

void AddSpecs(
    const json& specs,
    google::protobuf::RepeatedPtrField<inference::ModelMetadataResponse::TensorMetadata>* out) {
  for (const auto& s : specs) {
    auto* t = out->Add();
    t->set_name(s.value("name", ""));
    t->set_datatype(s.value("datatype", ""));
    for (const auto& d : s.value("shape", json::array())) t->add_shape(d.get<int64_t>());
  }
}

// TLS for gRPC: what gRPC's file watcher reads is a private copy of
// tls.certFile/keyFile that skiff has checked, never the files themselves.
// gRPC 1.51's FileWatcherCertificateProvider installs whatever pair it
// reads: a key of another certificate (a half-updated Secret) leaves it with
// no handshaker, so every TLS client is refused until the files are fixed,
// where the HTTP port keeps its previous pair. Here every `reload_check` the
// files are compared (TlsContextSource: size, mtime, inode); a changed pair
// is copied into a 0700 folder of its own, loaded there as the HTTP port
// would load it (key matches certificate) and only then renamed over the
// watched copy; a refused pair is logged and the previous copy stays.
class CheckedCertificates {
 public:
  static StatusOr<std::unique_ptr<CheckedCertificates>> Start(const GrpcServerOptions& options) {
    TlsServerOptions tls;
    tls.cert_file = options.cert_file;
    tls.key_file = options.key_file;
    tls.reload_check = options.reload_check;
    SKIFF_ASSIGN_OR_RETURN(auto source, TlsContextSource::Create(std::move(tls)));
    std::string folder =
        (std::filesystem::temp_directory_path() / "skiff-grpc-tls-XXXXXX").string();
    if (::mkdtemp(folder.data()) == nullptr) {
      return Unavailable("cannot make a private folder for gRPC's copy of the TLS pair (" + folder +
                         "): " + std::strerror(errno) + "; check TMPDIR");
    }
    std::unique_ptr<CheckedCertificates> out(new CheckedCertificates(std::move(source), folder));
    SKIFF_RETURN_IF_ERROR(out->Copy());
    out->watcher_ = std::thread([c = out.get()] {
      pthread_setname_np(pthread_self(), "skiff-grpc-cert");  // docs/architecture.md
      c->Watch();
    });
    return out;
  }
  ~CheckedCertificates() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    if (watcher_.joinable()) watcher_.join();
    std::error_code ignored;
    std::filesystem::remove_all(folder_, ignored);
  }
  std::string cert_file() const { return folder_ + "/tls.crt"; }
  std::string key_file() const { return folder_ + "/tls.key"; }

 private:
  CheckedCertificates(std::unique_ptr<TlsContextSource> source, std::string folder)
      : source_(std::move(source)), folder_(std::move(folder)) {}

  // The configured pair, checked, into the watched copy.
  Status Copy() {
    const TlsServerOptions& o = source_->options();
    SKIFF_ASSIGN_OR_RETURN(std::string cert, ReadFile(o.cert_file));
    SKIFF_ASSIGN_OR_RETURN(std::string key, ReadFile(o.key_file));
    const std::string next_cert = folder_ + "/next.crt", next_key = folder_ + "/next.key";
    SKIFF_RETURN_IF_ERROR(WriteFileAtomically(next_cert, cert, 0600));
    SKIFF_RETURN_IF_ERROR(WriteFileAtomically(next_key, key, 0600));
    // The bytes gRPC will read, loaded as the HTTP port loads its pair (the
    // files were checked by name just before; this catches a change between).
    auto loaded = MakeServerTlsContext(next_cert, next_key);
    if (!loaded.ok()) {
      return InvalidArgument("tls.certFile '" + o.cert_file + "' and tls.keyFile '" + o.key_file +
                             "' changed while being read (" + loaded.status().message() +
                             "); the next change is read again");
    }
    // Key first: gRPC reads both at its next check; the two renames are
    // microseconds apart.
    std::error_code ec;
    std::filesystem::rename(next_key, key_file(), ec);
    if (!ec) std::filesystem::rename(next_cert, cert_file(), ec);
    if (ec) return Unavailable("cannot rename gRPC's copy of the TLS pair: " + ec.message());
    return OkStatus();
  }

  void Watch() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!wake_.wait_for(lock, source_->options().reload_check, [this] { return stop_; })) {
      lock.unlock();
      if (std::optional<Status> changed = source_->ReloadIfChanged()) {
        // A refusal's message already says the previous pair stays.
        Status copied = changed->ok() ? Copy() : OkStatus();
        if (!changed->ok()) {
          log::Error("gRPC: TLS: " + changed->message());
        } else if (copied.ok()) {
          log::Info("gRPC: TLS certificate reloaded from tls.certFile '" +
                    source_->options().cert_file + "'");
        } else {
          log::Error("gRPC: TLS: " + copied.message() + "; still serving the previous certificate");
        }
      }
      lock.lock();
    }
  }

  std::unique_ptr<TlsContextSource> source_;  // change detection and the check; Watch only
  const std::string folder_;                  // 0700, removed at the end
  std::mutex mu_;                             // guards stop_
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread watcher_;  // last: started once the rest exists
};

}  // namespace

int GrpcCodeFor(int http_status) {
  using C = grpc::StatusCode;
  C code = C::UNKNOWN;
  switch (http_status) {
    case 200:
      code = C::OK;
      break;
    case 400:
      code = C::INVALID_ARGUMENT;
      break;
    case 401:
      code = C::UNAUTHENTICATED;
      break;
    case 403:
      code = C::PERMISSION_DENIED;
      break;
    case 404:
      code = C::NOT_FOUND;
      break;
    case 405:
    case 501:
      code = C::UNIMPLEMENTED;
      break;
    case 413:
    case 429:
    case 431:
      code = C::RESOURCE_EXHAUSTED;
      break;
    case 503:
      code = C::UNAVAILABLE;
      break;
    case 504:
      code = C::DEADLINE_EXCEEDED;
      break;
    default:
      code = http_status >= 500 ? C::INTERNAL : C::UNKNOWN;
  }
  return static_cast<int>(code);
}

// ---- The server ---------------------------------------------------------------

// gRPC's asynchronous generic API on skiff's own threads, not its callback
// API: grpc++ 1.51's callback server (on Linux's epoll1 poller) runs the
// calls on two "nexting" threads of its own and hands every call's OnDone
// to its executor thread, so one ModelInfer touched four threads (~4 context
// switches per call, against the HTTP port's ~0.6). Here `options.threads`
// threads poll one completion queue and run everything but the scoring,
// which answers from the data plane's worker (WriteAndFinish from there).
// The message is still read only once the metadata are admitted: a generic
// call is handed over after its metadata, before its message.
struct GrpcServer::Impl {
  GrpcServerOptions options;
  HttpHandler* handler = nullptr;
  metrics::MetricsRegistry* registry = nullptr;
  // TLS: the checked copy of cert_file/key_file, and gRPC's watcher of it
  // (both outlive `server`, declared before it).
  std::unique_ptr<CheckedCertificates> checked;
  std::shared_ptr<grpc::experimental::FileWatcherCertificateProvider> certificates;
  grpc::AsyncGenericService service;
  std::unique_ptr<grpc::ServerCompletionQueue> cq;  // shut down once no Call is left
  std::unique_ptr<grpc::Server> server;
  std::vector<std::thread> pollers;  // each runs Poll()
  int port = 0;
  std::atomic<int64_t> in_flight{0};
  std::mutex calls_mu;               // guards calls
  std::condition_variable no_calls;  // calls reached 0
  int64_t calls = 0;                 // Call objects alive: accepted or waiting for a call

  class Call;
  // A completion queue tag: the Call it belongs to and what comes next.
  struct Tag {
    Call* call;
    void (Call::*next)(bool ok);
  };

  ~Impl() {
    // The server first (cancels what is left once its deadline passed),
    // then every Call must have ended (one in the data plane finishes from
    // a worker, on `cq`) before `cq` may be shut down and drained.
    if (server) server->Shutdown(std::chrono::system_clock::now());
    {
      std::unique_lock<std::mutex> lock(calls_mu);
      no_calls.wait(lock, [this] { return calls == 0; });
    }
    if (cq) {
      cq->Shutdown();
      if (pollers.empty()) {
        void* tag = nullptr;
        bool ok = false;
        while (cq->Next(&tag, &ok)) {
        }
      }
    }
    for (std::thread& t : pollers) t.join();
    server.reset();  // before `cq`, as gRPC requires
  }

  void Poll();

  // Each (method, code) series is looked up in the registry once and kept:
  // a lookup builds its label set (~2 k instructions, 5 allocations a call).
  // The registry owns the series and outlives the server.
  static constexpr int kMethods = static_cast<int>(Method::kUnknown) + 1;
  static constexpr int kCodes = 17;  // grpc::StatusCode OK (0) .. UNAUTHENTICATED (16)
  std::atomic<metrics::Counter*> counters[kMethods][kCodes] = {};

  void Count(Method method, grpc::StatusCode code) {
    static const char* const kNames[] = {"ServerLive",     "ServerReady",   "ModelReady",
                                         "ServerMetadata", "ModelMetadata", "ModelInfer",
                                         "unknown"};
    const int m = static_cast<int>(method);
    // A code past the table counts as UNKNOWN, as CodeName names it.
    const int c = static_cast<int>(code) >= 0 && static_cast<int>(code) < kCodes
                      ? static_cast<int>(code)
                      : static_cast<int>(grpc::StatusCode::UNKNOWN);
    metrics::Counter* counter = counters[m][c].load(std::memory_order_acquire);
    if (counter == nullptr) {
      counter = &registry->GetCounter(
          "skiff_grpc_requests_total", "gRPC calls answered, by method and gRPC status code",
          {{"method", kNames[m]}, {"code", CodeName(static_cast<grpc::StatusCode>(c))}});
      counters[m][c].store(counter, std::memory_order_release);
    }
    counter->Increment();
  }
};

// One call: waits for gRPC to hand one over, then metadata first (auth on
// ModelInfer), then its one message, then the data plane's answer. Deletes
// itself once its Finish completed (or the server stopped handing calls).
class GrpcServer::Impl::Call final {
 public:
  // Asks gRPC for the next call.
  explicit Call(Impl* impl) : impl_(impl), stream_(&ctx_) {
    {
      std::lock_guard<std::mutex> lock(impl_->calls_mu);
      ++impl_->calls;
    }
    impl_->service.RequestCall(&ctx_, &stream_, impl_->cq.get(), impl_->cq.get(), &accepted_);
  }
  ~Call() {
    if (counted_) impl_->in_flight.fetch_sub(1);
    std::lock_guard<std::mutex> lock(impl_->calls_mu);
    if (--impl_->calls == 0) impl_->no_calls.notify_all();
  }

 private:
  // A call's metadata are in; its message is not read yet.
  void OnAccepted(bool ok) {
    if (!ok) {  // the server is shutting down
      delete this;
      return;
    }
    new Call(impl_);  // the next one
    method_ = MethodOf(ctx_.method());
    client_ = ClientAddress(ctx_.peer());
    counted_ = true;
    impl_->in_flight.fetch_add(1);
    if (method_ == Method::kUnknown) {
      End(Refused(grpc::StatusCode::UNIMPLEMENTED,
                  "no method " + ctx_.method() +
                      "; this server serves inference.GRPCInferenceService (KServe v2)"));
      return;
    }
    if (impl_->in_flight.load() > impl_->options.max_calls_in_flight) {
      End(Refused(grpc::StatusCode::UNAVAILABLE,
                  "the server is at its limit of " +
                      std::to_string(impl_->options.max_calls_in_flight) +
                      " calls in flight (grpc.maxCallsInFlight); retry later"));
      return;
    }
    for (const auto& [key, value] : ctx_.client_metadata()) {
      const std::string_view k(key.data(), key.size());
      if (PassesAsHeader(k)) {
        header_.insert(boost::beast::string_view(key.data(), key.size()),
                       boost::beast::string_view(value.data(), value.size()));
      }
    }
    if (method_ == Method::kModelInfer) {
      // Auth on the metadata alone, as the HTTP port does on the header: a
      // refused caller's message is never read.
      header_.method(http::verb::post);
      header_.target("/v2/models/-/infer");
      if (auto refusal = impl_->handler->Admit(header_, client_)) {
        End(StatusOf(*refusal));
        return;
      }
    }
    stream_.Read(&in_, &read_);
  }

  void OnReadDone(bool ok) {
    if (!ok) {
      return End(Refused(grpc::StatusCode::INVALID_ARGUMENT, "the call carried no request"));
    }
    switch (method_) {
      case Method::kServerLive: {
        inference::ServerLiveResponse r;
        r.set_live(true);
        return Reply(r);
      }
      case Method::kServerReady:
        return Get("/v2/health/ready", [this](const HttpResponse& a) {
          inference::ServerReadyResponse r;
          r.set_ready(a.result_int() == 200);
          return Reply(r);
        });
      case Method::kServerMetadata:
        return Get("/v2", [this](const HttpResponse& a) {
          if (a.result_int() != 200) return End(StatusOf(a));
          const json j = json::parse(a.body(), nullptr, false);
          inference::ServerMetadataResponse r;
          r.set_name(j.value("name", ""));
          r.set_version(j.value("version", ""));
          for (const auto& e : j.value("extensions", json::array())) {
            r.add_extensions(e.get<std::string>());
          }
          return Reply(r);
        });
      case Method::kModelReady: {
        inference::ModelReadyRequest req;
        if (!Parse(&req)) return;
        std::string path;
        if (!ModelPath(req.name(), req.version(), &path)) return;
        return Get(path + "/ready", [this](const HttpResponse& a) {
          // Not ready is an answer, not an error (Triton's too).
          if (a.result_int() != 200 && a.result_int() != 503) return End(StatusOf(a));
          inference::ModelReadyResponse r;
          r.set_ready(a.result_int() == 200);
          return Reply(r);
        });
      }
      case Method::kModelMetadata: {
        inference::ModelMetadataRequest req;
        if (!Parse(&req)) return;
        std::string path;
        if (!ModelPath(req.name(), req.version(), &path)) return;
        return Get(path, [this](const HttpResponse& a) {
          if (a.result_int() != 200) return End(StatusOf(a));
          const json j = json::parse(a.body(), nullptr, false);
          inference::ModelMetadataResponse r;
          r.set_name(j.value("name", ""));
          for (const auto& v : j.value("versions", json::array())) {
            r.add_versions(v.get<std::string>());
          }
          r.set_platform(j.value("platform", ""));
          AddSpecs(j.value("inputs", json::array()), r.mutable_inputs());
          AddSpecs(j.value("outputs", json::array()), r.mutable_outputs());
          return Reply(r);
        });
      }
      case Method::kModelInfer:
        return Infer();
      case Method::kUnknown:
        break;
    }
  }

  void OnFinished(bool) { delete this; }

  template <typename Message>
  bool Parse(Message* m) {
    grpc::ProtoBufferReader reader(&in_);
    if (!m->ParseFromZeroCopyStream(&reader)) {
      End(Refused(grpc::StatusCode::INVALID_ARGUMENT,
                  "the request is not a " + m->GetTypeName() + " message"));
      return false;
    }
    in_.Clear();
    return true;
  }

  // /v2/models/{name}[/versions/{version}], or End(INVALID_ARGUMENT).
  bool ModelPath(const std::string& name, const std::string& version, std::string* path) {
    const char* prefix = method_ == Method::kModelInfer ? "model_" : "";
    const char* bad = !IsSegment(name)                          ? "name"
                      : !version.empty() && !IsSegment(version) ? "version"
                                                                : nullptr;
    if (bad != nullptr) {
      End(Refused(grpc::StatusCode::INVALID_ARGUMENT,
                  std::string("`") + prefix + bad + "` must be a model " + bad +
                      " (1-256 printable characters, no / ? # % or space)"));
      return false;
    }
    *path = "/v2/models/" + name + (version.empty() ? "" : "/versions/" + version);
    return true;
  }

  // A GET through the data plane; `then` gets its answer.
  template <typename Then>
  void Get(const std::string& target, Then then) {
    HttpRequest request(http::verb::get, target, 11);
    request.base() = TakeHeader(http::verb::get, target);
    if (auto refusal = impl_->handler->Admit(request, client_)) return then(*refusal);
    // The answer may end the call (another poller deletes it) before Handle
    // returns: nothing of the call's is lent past this point.
    const std::string client = client_;
    impl_->handler->Handle(std::move(request), client,
                           [then = std::move(then)](HttpResponse a) { then(a); });
  }

  // The call's metadata as the one request it makes (each call makes one),
  // moved, not copied (a field list of allocations).
  http::request_header<> TakeHeader(http::verb verb, const std::string& target) {
    http::request_header<> h = std::move(header_);
    h.method(verb);
    h.target(target);
    h.version(11);
    return h;
  }

  void Infer() {
    StackArena arena;
    auto* req = google::protobuf::Arena::CreateMessage<inference::ModelInferRequest>(arena.get());
    if (!Parse(req)) return;
    std::string path;
    if (!ModelPath(req->model_name(), req->model_version(), &path)) return;
    HttpRequest request;
    request.base() = TakeHeader(http::verb::post, path + "/infer");
    std::vector<std::string> typed;
    std::vector<std::string_view> parts;  // into `req` and `typed`, read before HandleParts returns
    if (auto refused = ToOipParts(*req, &request.body(), &typed, &parts)) return End(*refused);
    request.set(protocol::kInferenceHeaderContentLength, std::to_string(request.body().size()));
    request.set(http::field::content_type, "application/octet-stream");
    request.prepare_payload();
    // Admitted on the metadata (the constructor): the data plane does not
    // authenticate again. `req` (in `arena`), `typed` and `client` are this frame's, not
    // the call's: the answer may come (and the call end) before this returns.
    const std::string client = client_;
    impl_->handler->HandleParts(
        std::move(request), parts, metrics::RequestProtocol::kGrpc, client, [this](HttpResponse a) {
          if (a.result_int() != 200) return End(StatusOf(a));
          StackArena arena;
          auto* r =
              google::protobuf::Arena::CreateMessage<inference::ModelInferResponse>(arena.get());
          grpc::Status converted = FromOipAnswer(a, r);
          if (!converted.ok()) return End(converted);
          Reply(*r);
        });
  }

  template <typename Message>
  void Reply(const Message& m) {
    bool own = false;
    grpc::Status s = grpc::GenericSerialize<grpc::ProtoBufferWriter, Message>(m, &out_, &own);
    if (!s.ok()) return End(s);
    impl_->Count(method_, grpc::StatusCode::OK);
    stream_.WriteAndFinish(out_, grpc::WriteOptions(), grpc::Status::OK, &finished_);
  }

  void End(const grpc::Status& s) {
    impl_->Count(method_, s.error_code());
    stream_.Finish(s, &finished_);
  }

  Impl* const impl_;
  grpc::GenericServerContext ctx_;
  grpc::GenericServerAsyncReaderWriter stream_;
  Tag accepted_{this, &Call::OnAccepted};
  Tag read_{this, &Call::OnReadDone};
  Tag finished_{this, &Call::OnFinished};
  bool counted_ = false;  // in in_flight (accepted)
  Method method_ = Method::kUnknown;
  std::string client_;
  http::request_header<> header_;  // the call's metadata as request headers
  grpc::ByteBuffer in_, out_;
};

void GrpcServer::Impl::Poll() {
  void* tag = nullptr;
  bool ok = false;
  while (cq->Next(&tag, &ok)) {
    Tag* t = static_cast<Tag*>(tag);
    (t->call->*(t->next))(ok);
  }
}

GrpcServer::GrpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcServer::~GrpcServer() = default;  // Impl::~Impl: Shutdown(now), then every call ends

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options,
                                                        HttpHandler* handler,
                                                        metrics::MetricsRegistry* registry) {
  // Debian's Abseil is built without NDEBUG, so every absl::Mutex gRPC takes
  // (several per call) also maintains Abseil's global lock-order graph for
  // deadlock detection, under a global lock: ~6 % of the gRPC path's
  // instructions (bench/README.md, "gRPC path, sixth session"). It is a
  // debugging aid no release server wants; off for the whole process.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = handler;
  impl->registry = registry;
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options.cert_file.empty()) {
    // A renewed certificate reaches gRPC as it reaches the HTTP port: a
    // checked copy of the pair (CheckedCertificates; a pair that does not
    // load is an error at start, naming the file), which gRPC's provider
    // re-reads every second (its smallest interval) on its own thread and
    // hands to the handshakes that follow.
    SKIFF_ASSIGN_OR_RETURN(impl->checked, CheckedCertificates::Start(options));
    impl->certificates = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        impl->checked->key_file(), impl->checked->cert_file(), 1);
    grpc::experimental::TlsServerCredentialsOptions tls(impl->certificates);
    tls.watch_identity_key_cert_pairs();
    tls.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    credentials = grpc::experimental::TlsServerCredentials(tls);
  }
  const std::string address =
      (options.address.find(':') != std::string::npos ? "[" + options.address + "]"
                                                      : options.address) +
      ":" + std::to_string(options.port);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, credentials, &impl->port);
  builder.RegisterAsyncGenericService(&impl->service);
  impl->cq = builder.AddCompletionQueue();
  const int max_message = static_cast<int>(
      std::min<int64_t>(options.max_message_bytes, std::numeric_limits<int>::max()));
  builder.SetMaxReceiveMessageSize(max_message);
  builder.SetMaxSendMessageSize(max_message);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             static_cast<int>(options.max_concurrent_streams));
  // No health or reflection service: only what the proto declares.
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || impl->port == 0) {
    return Unavailable("cannot listen for gRPC on " + address +
                       " (`grpc.port`): the port is taken or the address is not this machine's; "
                       "pick a free port or 0 for any");
  }
  new Impl::Call(impl.get());  // the first call asked for; each accepted one asks for the next
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    impl->pollers.emplace_back([p = impl.get()] { p->Poll(); });
    // Named here, before Start returns, so top/perf (and GrpcSpeedTest) tell
    // them from gRPC's own threads.
    pthread_setname_np(impl->pollers.back().native_handle(), "skiff-grpc");
  }
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(impl)));
}

uint16_t GrpcServer::port() const { return static_cast<uint16_t>(impl_->port); }

int64_t GrpcServer::in_flight() const { return impl_->in_flight.load(); }

void GrpcServer::Shutdown(std::chrono::system_clock::time_point deadline) {
  if (impl_->server) impl_->server->Shutdown(deadline);
}

}  // namespace skiff::dataplane
