// SPDX-License-Identifier: Apache-2.0
#include "skiff/sdk/model.h"

#include <filesystem>
#include <system_error>

#include "skiff/store/model_name.h"

namespace skiff::sdk {
namespace fs = std::filesystem;

StatusOr<Model> Model::register_model(const Workspace& ws, const std::string& model_path,
                                      const std::string& model_name, const std::string& description,
                                      const store::StringMap& tags,
                                      const store::StringMap& properties) {
  store::RegisterModelRequest request{model_name, model_path, description, tags, properties};
  SKIFF_ASSIGN_OR_RETURN(store::ModelRecord record, ws.store().RegisterModel(request));
  return Model(ws, std::move(record));
}

StatusOr<std::vector<Model>> Model::list(const Workspace& ws, const std::string& name) {
  std::optional<std::string> filter;
  if (!name.empty()) filter = name;
  SKIFF_ASSIGN_OR_RETURN(std::vector<store::ModelRecord> records, ws.store().ListModels(filter));
  std::vector<Model> out;
  for (auto& record : records) out.push_back(Model(ws, std::move(record)));
  return out;
}

StatusOr<Model> Model::get(const Workspace& ws, const std::string& name, int64_t version) {
  SKIFF_ASSIGN_OR_RETURN(store::ModelRecord record, ws.store().GetModel(name, version));
  return Model(ws, std::move(record));
}

StatusOr<std::string> Model::download(const std::string& target_dir, bool exist_ok) const {
  // Before anything is created or removed: the name comes from the store,
  // which another process (or user) may have altered.
  SKIFF_RETURN_IF_ERROR(store::ValidateModelFileName(record_.id(), record_.file_name));
  std::error_code ec;
  fs::create_directories(target_dir, ec);
  if (ec) {
    return InvalidArgument("cannot create download directory '" + target_dir +
                           "': " + ec.message() + "; pass a writable --target-dir");
  }
  const std::string dest = (fs::path(target_dir) / record_.file_name).string();
  if (exist_ok) fs::remove_all(dest, ec);
  SKIFF_RETURN_IF_ERROR(ws_.store().DownloadModel(record_.name, record_.version, dest).status());
  return dest;
}

Status Model::delete_model() const {
  return ws_.store().DeleteModel(record_.name, record_.version);
}

}  // namespace skiff::sdk
