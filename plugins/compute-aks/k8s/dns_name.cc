#include "k8s/dns_name.h"

namespace skiff::compute_aks::k8s {
namespace {

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

Status ValidateDns1123Label(std::string_view value, std::string_view what) {
  bool ok = !value.empty() && value.size() <= 63 && IsAlnum(value.front()) && IsAlnum(value.back());
  for (char c : value) ok = ok && (IsAlnum(c) || c == '-');
  if (ok) return OkStatus();
  return InvalidArgument(std::string(what) + " '" + std::string(value) +
                         "' is not a valid Kubernetes name: use 1-63 lowercase letters, digits "
                         "or '-', starting and ending with a letter or digit");
}

Status ValidateDns1035Label(std::string_view value, std::string_view what) {
  SKIFF_RETURN_IF_ERROR(ValidateDns1123Label(value, what));
  if (value.front() >= 'a' && value.front() <= 'z') return OkStatus();
  return InvalidArgument(std::string(what) + " '" + std::string(value) +
                         "' is not a valid Kubernetes Service name: it must start with a letter");
}

std::string ToLabelish(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out += IsAlnum(c) ? c : '-';
  }
  return out;
}

StatusOr<std::string> ObjectName(std::string_view base, std::string_view suffix,
                                 std::string_view what) {
  std::string name(base);
  if (!suffix.empty()) name += "-" + std::string(suffix);
  if (name.size() > 63) {
    return InvalidArgument(std::string(what) + " '" + name + "' is " + std::to_string(name.size()) +
                           " characters; Kubernetes names are at most 63: shorten the service "
                           "or version name");
  }
  SKIFF_RETURN_IF_ERROR(ValidateDns1035Label(name, what));
  return name;
}

}  // namespace skiff::compute_aks::k8s
