// SPDX-License-Identifier: Apache-2.0
#include "pod_runner.h"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "skiff/util/base64.h"
#include "skiff/util/program.h"

namespace skiff::compute_aks::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kPodSubnet = "10.244.0.";
constexpr const char* kServiceSubnet = "10.96.0.";

Status WriteFile(const std::string& path, const std::string& text, int mode, int gid) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Internal("cannot write " + path);
  if (::chown(path.c_str(), 0, gid) != 0 || ::chmod(path.c_str(), mode) != 0) {
    return Internal("cannot chown/chmod " + path);
  }
  return OkStatus();
}

Status MakeDir(const std::string& path, int mode, int gid) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return Internal("cannot create " + path + ": " + ec.message());
  if (::chown(path.c_str(), 0, gid) != 0 || ::chmod(path.c_str(), mode) != 0) {
    return Internal("cannot chown/chmod " + path);
  }
  return OkStatus();
}

const json* FindObject(const std::vector<json>& objects, const std::string& kind,
                       const std::string& name) {
  for (const json& o : objects) {
    if (o.value("kind", "") == kind && o["metadata"].value("name", "") == name) return &o;
  }
  return nullptr;
}

// A Secret's or ConfigMap's key, decoded.
StatusOr<std::string> ObjectValue(const json& object, const std::string& key) {
  if (object.contains("stringData") && object["stringData"].contains(key)) {
    return object["stringData"][key].get<std::string>();
  }
  if (object.contains("data") && object["data"].contains(key)) {
    if (object["kind"] == "ConfigMap") return object["data"][key].get<std::string>();
    auto bytes = Base64Decode(object["data"][key].get<std::string>(), Base64Alphabet::kStandard);
    if (!bytes) return InvalidArgument("Secret data." + key + " is not base64");
    return *bytes;
  }
  return NotFound(object["kind"].get<std::string>() + " '" +
                  object["metadata"]["name"].get<std::string>() + "' has no key '" + key + "'");
}

// The kubelet's AtomicWriter layout: the files live in ..<stamp>/, ..data
// links to it, and each visible name links into ..data (how the server's
// --watch-config sees an update, and why key files arrive as symlinks).
Status WriteProjectedVolume(const json& object, const json& source, int fs_group,
                            const std::string& dir) {
  static int generation = 0;
  const int default_mode = source.value("defaultMode", 0644);
  SKIFF_RETURN_IF_ERROR(MakeDir(dir, 0755, fs_group));
  const std::string stamp = "..2026_12_06_00_00_00." + std::to_string(++generation);
  SKIFF_RETURN_IF_ERROR(MakeDir(dir + "/" + stamp, 0755, fs_group));
  std::vector<std::pair<std::string, std::string>> items;  // key, path
  if (source.contains("items")) {
    for (const json& item : source["items"]) items.emplace_back(item["key"], item["path"]);
  } else {
    for (const char* field : {"stringData", "data"}) {
      if (!object.contains(field)) continue;
      for (const auto& [k, v] : object[field].items()) items.emplace_back(k, k);
    }
  }
  std::set<std::string> top;
  for (const auto& [key, path] : items) {
    SKIFF_ASSIGN_OR_RETURN(std::string value, ObjectValue(object, key));
    const std::string file = dir + "/" + stamp + "/" + path;
    SKIFF_RETURN_IF_ERROR(MakeDir(fs::path(file).parent_path(), 0755, fs_group));
    SKIFF_RETURN_IF_ERROR(WriteFile(file, value, default_mode, fs_group));
    top.insert(fs::path(path).begin()->string());
  }
  // An update swaps ..data in one rename, as the AtomicWriter does; a reader
  // sees the old files or the new ones, never a mix.
  std::error_code ec;
  const fs::path data = dir + "/..data";
  const fs::path old = fs::is_symlink(fs::symlink_status(data)) ? fs::read_symlink(data) : "";
  fs::create_directory_symlink(stamp, dir + "/..data_tmp", ec);
  if (!ec) fs::rename(dir + "/..data_tmp", data, ec);
  for (const std::string& name : top) {
    const std::string link = dir + "/" + name;
    if (!ec && !fs::is_symlink(fs::symlink_status(link))) {
      fs::create_symlink("..data/" + name, link, ec);
    }
  }
  if (ec) return Internal("cannot link the volume at " + dir + ": " + ec.message());
  if (!old.empty()) fs::remove_all(dir + "/" + old.string(), ec);
  return OkStatus();
}

// The default set of a container runtime (containerd/CRI), which
// `capabilities.add/drop` edit.
const std::vector<std::string>& DefaultCapabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return caps;
}

std::vector<std::string> Capabilities(const json& sc) {
  std::set<std::string> drop, add;
  bool drop_all = false;
  if (sc.contains("capabilities")) {
    for (const json& c : sc["capabilities"].value("drop", json::array())) {
      if (c == "ALL") drop_all = true;
      drop.insert("CAP_" + c.get<std::string>());
    }
    for (const json& c : sc["capabilities"].value("add", json::array())) {
      add.insert("CAP_" + c.get<std::string>());
    }
  }
  std::vector<std::string> out;
  if (!drop_all) {
    for (const std::string& c : DefaultCapabilities()) {
      if (!drop.count(c)) out.push_back(c);
    }
  }
  for (const std::string& c : add) out.push_back(c);
  return out;
}

// A field of the container's securityContext, else the pod's.
json SecurityField(const json& pod_spec, const json& container, const std::string& field) {
  const json csc = container.value("securityContext", json::object());
  if (csc.contains(field)) return csc[field];
  const json psc = pod_spec.value("securityContext", json::object());
  if (psc.contains(field)) return psc[field];
  return nullptr;
}

Status MakeMountPoint(const std::string& rootfs, const std::string& dest, bool file) {
  const std::string path = rootfs + dest;
  std::error_code ec;
  if (file) {
    fs::create_directories(fs::path(path).parent_path(), ec);
    if (!ec && !fs::exists(path)) std::ofstream(path).close();
  } else {
    fs::create_directories(path, ec);
  }
  if (ec) return Internal("cannot create the mount point " + path + ": " + ec.message());
  return OkStatus();
}

// The architecture names a Docker-format profile uses for this machine.
std::string DockerArch() {
  struct utsname u {};
  ::uname(&u);
  const std::string m = u.machine;
  return m == "x86_64" ? "amd64" : m == "aarch64" ? "arm64" : m;
}

bool KernelAtLeast(const std::string& wanted) {
  struct utsname u {};
  ::uname(&u);
  int have_major = 0, have_minor = 0, want_major = 0, want_minor = 0;
  std::sscanf(u.release, "%d.%d", &have_major, &have_minor);
  std::sscanf(wanted.c_str(), "%d.%d", &want_major, &want_minor);
  return have_major != want_major ? have_major > want_major : have_minor >= want_minor;
}

bool AnyIn(const json& list, const std::set<std::string>& set) {
  for (const json& x : list) {
    if (set.count(x.get<std::string>())) return true;
  }
  return false;
}

// RuntimeDefault as containerd applies it: the Docker-format default profile
// (`profile`) resolved for this machine's architecture and the container's
// capabilities (includes/excludes), in the runtime spec's linux.seccomp form.
StatusOr<json> RuntimeDefaultSeccomp(const std::string& profile_path,
                                     const std::vector<std::string>& caps) {
  std::ifstream in(profile_path);
  if (!in) {
    return NotFound("RuntimeDefault seccomp: cannot read " + profile_path +
                    " (Debian package golang-github-containers-common, a dependency of skopeo)");
  }
  const json profile = json::parse(in, nullptr, false);
  if (profile.is_discarded()) return InvalidArgument(profile_path + " is not JSON");
  const std::string arch = DockerArch();
  const std::set<std::string> have(caps.begin(), caps.end());
  json out = {{"defaultAction", profile["defaultAction"]}, {"syscalls", json::array()}};
  if (profile.contains("defaultErrnoRet")) out["defaultErrnoRet"] = profile["defaultErrnoRet"];
  const std::string seccomp_arch = arch == "amd64" ? "SCMP_ARCH_X86_64" : "SCMP_ARCH_AARCH64";
  for (const json& a : profile.value("archMap", json::array())) {
    if (a["architecture"] != seccomp_arch) continue;
    out["architectures"] = json::array({a["architecture"]});
    for (const json& sub : a.value("subArchitectures", json::array())) {
      out["architectures"].push_back(sub);
    }
  }
  for (const json& rule : profile["syscalls"]) {
    const json inc = rule.value("includes", json::object());
    const json exc = rule.value("excludes", json::object());
    if (inc.contains("arches") && !inc["arches"].empty() && !AnyIn(inc["arches"], {arch})) continue;
    bool caps_ok = true;
    for (const json& c : inc.value("caps", json::array())) caps_ok = caps_ok && have.count(c);
    if (!caps_ok) continue;
    if (inc.contains("minKernel") && !KernelAtLeast(inc["minKernel"])) continue;
    if (AnyIn(exc.value("caps", json::array()), have)) continue;
    if (AnyIn(exc.value("arches", json::array()), {arch})) continue;
    json r = {{"names", rule["names"]}, {"action", rule["action"]}};
    if (rule.contains("errnoRet")) r["errnoRet"] = rule["errnoRet"];
    if (rule.contains("args") && rule["args"].is_array() && !rule["args"].empty()) {
      r["args"] = rule["args"];
    }
    out["syscalls"].push_back(r);
  }
  return out;
}

}  // namespace

StatusOr<std::string> Run(const std::vector<std::string>& argv) {
  return skiff::RunAndCapture(argv);
}

long long QuantityBytes(const std::string& q) {
  static const std::vector<std::pair<std::string, long long>> units = {
      {"Ki", 1LL << 10}, {"Mi", 1LL << 20}, {"Gi", 1LL << 30},
      {"k", 1000},       {"M", 1000000},    {"G", 1000000000}};
  std::string digits = q;
  long long factor = 1;
  for (const auto& [suffix, f] : units) {
    if (q.size() > suffix.size() &&
        q.compare(q.size() - suffix.size(), suffix.size(), suffix) == 0) {
      digits = q.substr(0, q.size() - suffix.size());
      factor = f;
      break;
    }
  }
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(digits) * factor;
}

// --- PodNetwork ---

PodNetwork::PodNetwork(std::string tag) : tag_(std::move(tag)) {}

PodNetwork::~PodNetwork() {
  // Pods first: deleting a namespace removes its end of the veth, and the
  // peer in the cluster namespace with it.
  for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) {
    (void)Run({"ip", "netns", "del", *it});
  }
}

Status PodNetwork::Init() {
  cluster_ns_ = "skiff-pod-" + tag_ + "-cluster";
  SKIFF_RETURN_IF_ERROR(Run({"ip", "netns", "add", cluster_ns_}).status());
  namespaces_.push_back(cluster_ns_);
  SKIFF_RETURN_IF_ERROR(Run({"ip", "-n", cluster_ns_, "link", "set", "lo", "up"}).status());
  SKIFF_RETURN_IF_ERROR(
      Run({"ip", "-n", cluster_ns_, "link", "add", "br0", "type", "bridge"}).status());
  return Run({"ip", "-n", cluster_ns_, "link", "set", "br0", "up"}).status();
}

StatusOr<PodNetwork::Member> PodNetwork::Add(const std::string& short_name) {
  Member m;
  m.netns = "skiff-pod-" + tag_ + "-" + short_name;
  m.path = "/var/run/netns/" + m.netns;
  m.ip = kPodSubnet + std::to_string(next_pod_);
  const std::string host_end = "veth" + std::to_string(next_pod_);
  ++next_pod_;
  SKIFF_RETURN_IF_ERROR(Run({"ip", "netns", "add", m.netns}).status());
  namespaces_.push_back(m.netns);
  // Both ends are made inside the cluster namespace; nothing appears in the
  // host's own network namespace.
  SKIFF_RETURN_IF_ERROR(Run({"ip", "-n", cluster_ns_, "link", "add", host_end, "type", "veth",
                             "peer", "name", "eth0", "netns", m.netns})
                            .status());
  SKIFF_RETURN_IF_ERROR(
      Run({"ip", "-n", cluster_ns_, "link", "set", host_end, "master", "br0", "up"}).status());
  SKIFF_RETURN_IF_ERROR(Run({"ip", "-n", m.netns, "link", "set", "lo", "up"}).status());
  SKIFF_RETURN_IF_ERROR(
      Run({"ip", "-n", m.netns, "addr", "add", m.ip + "/24", "dev", "eth0"}).status());
  SKIFF_RETURN_IF_ERROR(Run({"ip", "-n", m.netns, "link", "set", "eth0", "up"}).status());
  // Cluster IPs are virtual: a route makes connect() reach the DNAT rule.
  SKIFF_RETURN_IF_ERROR(Run({"ip", "-n", m.netns, "route", "add",
                             std::string(kServiceSubnet) + "0/24", "dev", "eth0"})
                            .status());
  members_.push_back(m);
  return m;
}

std::string PodNetwork::NextClusterIp() { return kServiceSubnet + std::to_string(next_service_++); }

Status PodNetwork::InstallServices(const std::vector<ServiceRoute>& routes) {
  for (const Member& m : members_) {
    for (const ServiceRoute& r : routes) {
      SKIFF_RETURN_IF_ERROR(
          Run({"ip", "netns", "exec", m.netns, "iptables", "-t", "nat", "-A", "OUTPUT", "-d",
               r.cluster_ip, "-p", "tcp", "--dport", std::to_string(r.port), "-j", "DNAT",
               "--to-destination", r.pod_ip + ":" + std::to_string(r.target_port)})
              .status());
    }
  }
  return OkStatus();
}

std::string PodNetwork::HostsFile(const Member& self, const std::string& hostname,
                                  const std::vector<ServiceRoute>& routes) {
  std::string out = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  out += self.ip + "\t" + hostname + "\n";
  for (const ServiceRoute& r : routes) {
    out += r.cluster_ip + "\t" + r.name + "." + r.ns + ".svc.cluster.local " + r.name + "." + r.ns +
           ".svc " + r.name + "." + r.ns + " " + r.name + "\n";
  }
  return out;
}

// --- NetworkPolicy ---

namespace {

bool Selects(const json& selector, const json& labels) {
  const json match = selector.value("matchLabels", json::object());  // outlives the loop
  for (const auto& [k, v] : match.items()) {
    if (labels.value(k, "") != v) return false;
  }
  return !selector.contains("matchExpressions");
}

}  // namespace

Status ApplyNetworkPolicy(const json& policy, const std::vector<PodEndpoint>& pods,
                          const std::string& node_ip) {
  const json& spec = policy["spec"];
  const std::string name = policy["metadata"].value("name", "");
  const json types = spec.value("policyTypes", json::array());
  if (types.size() != 1 || types[0] != "Ingress") {
    return Unimplemented("NetworkPolicy " + name + ": only policyTypes [Ingress] is translated");
  }
  // iptables rule arguments after `-A INPUT`.
  std::vector<std::vector<std::string>> rules = {
      {"-i", "lo", "-j", "ACCEPT"},
      {"-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"},
      {"-s", node_ip, "-j", "ACCEPT"}};
  for (const json& rule : spec.value("ingress", json::array())) {
    std::vector<std::string> sources;
    for (const json& peer : rule.value("from", json::array())) {
      // namespaceSelector {}: every pod of the cluster (here: every pod run).
      const bool every_pod = peer.size() == 1 && peer.contains("namespaceSelector") &&
                             peer["namespaceSelector"].empty();
      if (!every_pod && (!peer.contains("podSelector") || peer.size() != 1)) {
        return Unimplemented("NetworkPolicy " + name +
                             ": only podSelector peers and namespaceSelector {} are translated");
      }
      for (const PodEndpoint& p : pods) {
        if (every_pod || Selects(peer["podSelector"], p.labels)) sources.push_back(p.ip);
      }
    }
    if (!rule.contains("from")) sources.push_back("0.0.0.0/0");
    for (const std::string& source : sources) {
      for (const json& port : rule.value("ports", json::array())) {
        if (port.value("protocol", "TCP") != "TCP" || !port["port"].is_number()) {
          return Unimplemented("NetworkPolicy " + name + ": only numeric TCP ports are translated");
        }
        rules.push_back({"-s", source, "-p", "tcp", "--dport",
                         std::to_string(port["port"].get<int>()), "-j", "ACCEPT"});
      }
      if (!rule.contains("ports")) rules.push_back({"-s", source, "-j", "ACCEPT"});
    }
  }
  rules.push_back({"-j", "DROP"});
  for (const PodEndpoint& p : pods) {
    if (!Selects(spec["podSelector"], p.labels)) continue;
    for (const auto& rule : rules) {
      std::vector<std::string> argv = {"ip", "netns", "exec", p.netns, "iptables", "-A", "INPUT"};
      argv.insert(argv.end(), rule.begin(), rule.end());
      SKIFF_RETURN_IF_ERROR(Run(argv).status());
    }
  }
  return OkStatus();
}

// --- volumes ---

Status UpdateConfigVolumes(const json& pod_spec, const std::vector<json>& objects,
                           const std::string& dir) {
  const int fs_group = pod_spec.value("securityContext", json::object()).value("fsGroup", 0);
  for (const json& v : pod_spec.value("volumes", json::array())) {
    const bool secret = v.contains("secret");
    if (!secret && !v.contains("configMap")) continue;
    const json& source = secret ? v["secret"] : v["configMap"];
    const std::string object_name = secret ? source["secretName"] : source["name"];
    const json* object = FindObject(objects, secret ? "Secret" : "ConfigMap", object_name);
    if (object == nullptr) return NotFound(object_name + " is not rendered");
    SKIFF_RETURN_IF_ERROR(
        WriteProjectedVolume(*object, source, fs_group, dir + "/" + v["name"].get<std::string>()));
  }
  return OkStatus();
}

StatusOr<PodVolumes> MaterializeVolumes(const json& pod_spec, const std::vector<json>& objects,
                                        const std::string& dir) {
  const int fs_group = pod_spec.value("securityContext", json::object()).value("fsGroup", 0);
  PodVolumes out;
  for (const json& v : pod_spec.value("volumes", json::array())) {
    const std::string name = v["name"];
    const std::string path = dir + "/" + name;
    PodVolume pv;
    if (v.contains("secret") || v.contains("configMap")) {
      const bool secret = v.contains("secret");
      const json& source = secret ? v["secret"] : v["configMap"];
      const std::string object_name = secret ? source["secretName"] : source["name"];
      const json* object = FindObject(objects, secret ? "Secret" : "ConfigMap", object_name);
      if (object == nullptr) {
        return NotFound("volume '" + name + "' needs " + (secret ? "Secret" : "ConfigMap") + " '" +
                        object_name + "', which is not rendered");
      }
      SKIFF_RETURN_IF_ERROR(WriteProjectedVolume(*object, source, fs_group, path));
      pv.host_path = path;
    } else if (v.contains("emptyDir")) {
      // The kubelet's emptyDir: 0777, group fsGroup with setgid, bind-mounted
      // into the container. medium: Memory is a tmpfs the kubelet mounts on
      // the host side; here it is a plain folder (no host mount to leak), so
      // its sizeLimit is not enforced.
      SKIFF_RETURN_IF_ERROR(MakeDir(path, 02777, fs_group));
      pv.host_path = path;
    } else {
      return Unimplemented("volume '" + name + "': only secret, configMap and emptyDir run here");
    }
    out[name] = pv;
  }
  return out;
}

// --- runc config ---

StatusOr<json> RuncConfig(const json& pod_spec, const json& container,
                          const std::vector<json>& objects, const PodVolumes& volumes,
                          const ContainerEnv& env) {
  const std::string cname = container.value("name", "");
  json process;
  process["terminal"] = false;
  process["cwd"] = container.value("workingDir", env.image_process.value("cwd", "/"));
  // command replaces the image's entrypoint and cmd; only `args` would keep
  // the entrypoint, which the rendered pods never do.
  if (container.contains("command")) {
    json args = container["command"];
    for (const json& a : container.value("args", json::array())) args.push_back(a);
    process["args"] = args;
  } else if (container.contains("args")) {
    return Unimplemented("container '" + cname + "': args without command is not translated");
  } else {
    process["args"] = env.image_process["args"];
  }
  // Env: the image's, then the container's (later wins in execve's view).
  json environment = env.image_process.value("env", json::array());
  for (const json& e : container.value("env", json::array())) {
    const std::string name = e["name"];
    std::string value;
    if (e.contains("value")) {
      value = e["value"];
    } else if (e.contains("valueFrom")) {
      const json& from = e["valueFrom"];
      const bool secret = from.contains("secretKeyRef");
      if (!secret && !from.contains("configMapKeyRef")) {
        return Unimplemented("env " + name + " of container '" + cname +
                             "': only secretKeyRef and configMapKeyRef are translated");
      }
      const json& ref = secret ? from["secretKeyRef"] : from["configMapKeyRef"];
      const json* object = FindObject(objects, secret ? "Secret" : "ConfigMap", ref["name"]);
      if (object == nullptr) {
        return NotFound("env " + name + " of container '" + cname + "' needs " +
                        ref["name"].get<std::string>() + ", which is not rendered");
      }
      SKIFF_ASSIGN_OR_RETURN(value, ObjectValue(*object, ref["key"]));
    }
    environment.push_back(name + "=" + value);
  }
  process["env"] = environment;

  // User: the container's securityContext, else the pod's, else the image's.
  const json uid = SecurityField(pod_spec, container, "runAsUser");
  const json gid = SecurityField(pod_spec, container, "runAsGroup");
  json user = env.image_process.value("user", json::object());
  if (!uid.is_null()) user["uid"] = uid;
  if (!gid.is_null()) user["gid"] = gid;
  json groups = json::array();
  const json psc = pod_spec.value("securityContext", json::object());
  if (psc.contains("fsGroup")) groups.push_back(psc["fsGroup"]);
  for (const json& g : psc.value("supplementalGroups", json::array())) groups.push_back(g);
  if (!groups.empty()) user["additionalGids"] = groups;
  if (SecurityField(pod_spec, container, "runAsNonRoot") == true && user.value("uid", 0) == 0) {
    return FailedPrecondition("container '" + cname + "': runAsNonRoot but it would run as root");
  }
  process["user"] = user;
  const json csc = container.value("securityContext", json::object());
  const std::vector<std::string> caps = Capabilities(csc);
  process["capabilities"] = {{"bounding", caps},
                             {"effective", caps},
                             {"permitted", caps},
                             {"inheritable", json::array()},
                             {"ambient", json::array()}};
  process["noNewPrivileges"] = csc.value("allowPrivilegeEscalation", true) == false;
  // No rlimits: the container keeps runc's, as pods keep their runtime's.

  // Mounts: a runtime's defaults, the kubelet's files, then the volumes.
  json mounts = {
      {{"destination", "/proc"},
       {"type", "proc"},
       {"source", "proc"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/pts"},
       {"type", "devpts"},
       {"source", "devpts"},
       {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}},
      {{"destination", "/dev/shm"},
       {"type", "tmpfs"},
       {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
      {{"destination", "/dev/mqueue"},
       {"type", "mqueue"},
       {"source", "mqueue"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/sys"},
       {"type", "sysfs"},
       {"source", "sysfs"},
       {"options", {"nosuid", "noexec", "nodev", "ro"}}},
      {{"destination", "/etc/hosts"},
       {"type", "bind"},
       {"source", env.hosts_file},
       {"options", {"rbind", "ro"}}},
      {{"destination", "/etc/resolv.conf"},
       {"type", "bind"},
       {"source", env.resolv_conf},
       {"options", {"rbind", "ro"}}},
  };
  SKIFF_RETURN_IF_ERROR(MakeMountPoint(env.rootfs, "/etc/hosts", true));
  SKIFF_RETURN_IF_ERROR(MakeMountPoint(env.rootfs, "/etc/resolv.conf", true));
  for (const char* d : {"/proc", "/dev", "/sys"}) {
    SKIFF_RETURN_IF_ERROR(MakeMountPoint(env.rootfs, d, false));
  }
  for (const json& m : container.value("volumeMounts", json::array())) {
    const std::string vname = m["name"];
    auto v = volumes.find(vname);
    if (v == volumes.end()) {
      return NotFound("container '" + cname + "' mounts volume '" + vname +
                      "', which the pod does not declare");
    }
    const std::string dest = m["mountPath"];
    std::string source = v->second.host_path;
    if (m.contains("subPath")) source += "/" + m["subPath"].get<std::string>();
    json options = m.value("readOnly", false) ? json{"rbind", "ro"} : json{"rbind", "rw"};
    json mount = {
        {"destination", dest}, {"type", "bind"}, {"source", source}, {"options", options}};
    SKIFF_RETURN_IF_ERROR(MakeMountPoint(env.rootfs, dest, false));
    mounts.push_back(mount);
  }

  json namespaces = {{{"type", "pid"}},
                     {{"type", "ipc"}},
                     {{"type", "uts"}},
                     {{"type", "mount"}},
                     {{"type", "network"}, {"path", env.netns_path}}};
  // resources.limits.memory as the kubelet sets it: the cgroup's limit.
  json linux_resources = json::object();
  const json limits = container.value("resources", json::object()).value("limits", json::object());
  if (limits.contains("memory")) {
    const long long bytes = QuantityBytes(limits["memory"]);
    if (bytes <= 0) {
      return InvalidArgument("container '" + cname + "': resources.limits.memory '" +
                             limits["memory"].get<std::string>() + "' is not a quantity");
    }
    linux_resources["memory"] = {{"limit", bytes}};
  }
  // seccompProfile: RuntimeDefault (the container's, else the pod's);
  // Unconfined or none: no filter; Localhost is not translated.
  json linux_extra = json::object();
  const json seccomp = SecurityField(pod_spec, container, "seccompProfile");
  if (seccomp.is_object()) {
    const std::string type = seccomp.value("type", "");
    if (type == "RuntimeDefault") {
      SKIFF_ASSIGN_OR_RETURN(linux_extra["seccomp"],
                             RuntimeDefaultSeccomp(env.runtime_default_seccomp, caps));
    } else if (type != "Unconfined") {
      return Unimplemented("container '" + cname + "': seccompProfile " + type +
                           " is not translated");
    }
  }
  const bool read_only = csc.value("readOnlyRootFilesystem", false);
  json config = {{"ociVersion", "1.0.2"},
                 {"process", process},
                 {"root", {{"path", env.rootfs}, {"readonly", read_only}}},
                 {"hostname", env.hostname},
                 {"mounts", mounts},
                 {"linux",
                  {{"namespaces", namespaces},
                   {"resources", linux_resources},
                   {"maskedPaths",
                    {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                     "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                     "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
                   {"readonlyPaths",
                    {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}}};
  if (linux_extra.contains("seccomp")) config["linux"]["seccomp"] = linux_extra["seccomp"];
  return config;
}

// --- runc ---

RuncContainer::RuncContainer(std::string state_root, std::string id)
    : root_(std::move(state_root)), id_(std::move(id)) {}

RuncContainer::~RuncContainer() {
  if (created_) (void)Run({"runc", "--root", root_, "delete", "--force", id_});
}

Status RuncContainer::Start(const std::string& bundle, const std::string& log) {
  created_ = true;
  // Detached, runc's stdio becomes the container's: a file, so nothing here
  // waits on a pipe the server holds open.
  return Run({"sh", "-c",
              "exec runc --root \"$1\" run --detach --bundle \"$2\" \"$3\" >\"$4\" 2>&1", "sh",
              root_, bundle, id_, log})
      .status();
}

Status RuncContainer::RunToCompletion(const std::string& bundle, const std::string& log) {
  created_ = true;
  return Run({"sh", "-c",
              "exec timeout 60 runc --root \"$1\" run --bundle \"$2\" \"$3\" >\"$4\" 2>&1", "sh",
              root_, bundle, id_, log})
      .status();
}

StatusOr<std::string> RuncContainer::Exec(const std::vector<std::string>& argv) {
  std::vector<std::string> cmd = {"runc", "--root", root_, "exec", id_};
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  return Run(cmd);
}

StatusOr<int> RuncContainer::Pid() {
  SKIFF_ASSIGN_OR_RETURN(std::string state, Run({"runc", "--root", root_, "state", id_}));
  return json::parse(state).value("pid", 0);
}

Status RuncContainer::Kill(const std::string& signal) {
  return Run({"runc", "--root", root_, "kill", id_, signal}).status();
}

StatusOr<std::string> RuncContainer::State() {
  SKIFF_ASSIGN_OR_RETURN(std::string state, Run({"runc", "--root", root_, "state", id_}));
  return json::parse(state).value("status", "");
}

}  // namespace skiff::compute_aks::testing
