#include "k8s/router_config.h"

#include <sstream>

#include "k8s/pod_paths.h"

namespace skiff::compute_aks::k8s {
namespace {

std::string Upstream(const VersionPlan& v) {
  std::string u = "skiff_";
  for (char c : v.k8s_name) u += c == '-' ? '_' : c;
  return u;
}

std::string RegexEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '.' || c == '-') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string RouterNginxConf(const ServicePlan& plan) {
  const auto& dc = plan.deployment;
  const int64_t read_timeout_s = (int64_t{dc.scoring_timeout_ms} + dc.max_queue_wait_ms) / 1000 + 5;
  std::string served;
  for (const VersionPlan& v : plan.versions) served += (served.empty() ? "" : ", ") + v.name;

  std::ostringstream o;
  o << "# Rendered by skiff for '" << plan.service << "': the traffic split across its versions.\n"
    << "# Authentication happens in every version pod (docs/kubernetes.md).\n"
    << "worker_processes 2;\n"
    << "pid /tmp/nginx.pid;\n"
    << "error_log /dev/stderr warn;\n"
    << "daemon off;\n"
    << "events { worker_connections 1024; }\n"
    << "http {\n"
    << "  access_log /dev/stdout;\n"
    << "  server_tokens off;\n"
    << "  client_body_temp_path /tmp/nginx-body;\n"
    << "  proxy_temp_path /tmp/nginx-proxy;\n"
    << "  fastcgi_temp_path /tmp/nginx-fastcgi;\n"
    << "  uwsgi_temp_path /tmp/nginx-uwsgi;\n"
    << "  scgi_temp_path /tmp/nginx-scgi;\n"
    << "  client_max_body_size " << dc.max_request_body_bytes << ";\n"
    << "  proxy_read_timeout " << read_timeout_s << "s;\n\n";

  const VersionPlan* default_version = &plan.versions.front();
  for (const VersionPlan& v : plan.versions) {
    if (v.is_default) default_version = &v;
    o << "  upstream " << Upstream(v) << " {\n"
      << "    server " << v.object_name << "." << plan.ns << ".svc.cluster.local:80;\n"
      << "    keepalive 16;\n"
      << "  }\n";
  }
  // Unallocated traffic goes to the default version ('*').
  o << "\n  split_clients \"${request_id}\" $skiff_split {\n";
  for (const VersionPlan& v : plan.versions) {
    if (&v == default_version || v.traffic_percentile <= 0) continue;
    o << "    " << v.traffic_percentile << "% " << Upstream(v) << ";\n";
  }
  o << "    * " << Upstream(*default_version) << ";\n  }\n";

  o << "  map $http_azureml_model_deployment $skiff_header_version {\n"
    << "    \"\" \"\";\n";
  for (const VersionPlan& v : plan.versions) {
    o << "    \"" << v.name << "\" " << Upstream(v) << ";\n";
  }
  o << "    default \"!\";\n  }\n";

  o << "  map $uri $skiff_path_version {\n";
  for (const VersionPlan& v : plan.versions) {
    o << "    \"~^/v2/models/[^/]+/versions/" << RegexEscape(v.name) << "(/|$)\" " << Upstream(v)
      << ";\n";
  }
  o << "    \"~^/v2/models/[^/]+/versions/\" \"!\";\n"
    << "    default \"\";\n  }\n";

  // The path wins over the header, the header over the draw.
  o << "  map \"$skiff_path_version:$skiff_header_version\" $skiff_upstream {\n"
    << "    \":\" $skiff_split;\n"
    << "    \":!\" \"!\";\n"
    << "    \"~^!\" \"!\";\n"
    << "    \"~^(?<p>skiff_[a-z0-9_]+):\" $p;\n"
    << "    \"~^:(?<h>skiff_[a-z0-9_]+)$\" $h;\n"
    << "    default \"!\";\n  }\n\n";

  o << "  server {\n"
    << "    listen " << kRouterPort << ";\n"
    << "    default_type application/json;\n"
    << "    location = /healthz {\n"
    << "      access_log off;\n"
    << "      return 200 '{\"live\":true}';\n"
    << "    }\n"
    << "    location / {\n"
    << "      if ($skiff_upstream = \"!\") {\n"
    << "        return 404 '{\"error\":\"no such version; this endpoint serves: " << served
    << "\"}';\n"
    << "      }\n"
    << "      proxy_pass http://$skiff_upstream;\n"
    << "      proxy_http_version 1.1;\n"
    << "      proxy_set_header Connection \"\";\n"
    << "      proxy_set_header Host $host;\n"
    << "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
    << "      proxy_set_header X-Request-Id $request_id;\n"
    << "    }\n"
    << "  }\n"
    << "}\n";
  return o.str();
}

}  // namespace skiff::compute_aks::k8s
