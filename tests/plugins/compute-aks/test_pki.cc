// SPDX-License-Identifier: Apache-2.0
#include "test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <memory>
#include <stdexcept>

namespace skiff::compute_aks::testing {
namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("TestPki: OpenSSL failed: ") + what);
}

KeyPtr NewKey() {
  KeyPtr key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  Check(key != nullptr, "EVP_EC_gen");
  return key;
}

std::string KeyPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  Check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "key pem");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string CertPem(X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  Check(PEM_write_bio_X509(bio.get(), cert) == 1, "cert pem");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Check(ext != nullptr, value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// `issuer` null: self-signed (signed later by Sign()).
CertPtr MakeCert(EVP_PKEY* key, const std::string& cn, const std::string& org, X509* issuer,
                 long serial) {
  CertPtr cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!org.empty()) {
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(org.c_str()), -1, -1, 0);
  }
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  return cert;
}

void Sign(X509* cert, EVP_PKEY* key) { Check(X509_sign(cert, key, EVP_sha256()) > 0, "X509_sign"); }

}  // namespace

TestPki MakeTestPki(const std::string& ca_name, const std::string& server_san) {
  TestPki pki;
  KeyPtr ca_key = NewKey();
  CertPtr ca = MakeCert(ca_key.get(), ca_name, "", nullptr, 1);
  AddExt(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExt(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExt(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  Sign(ca.get(), ca_key.get());
  pki.ca_cert_pem = CertPem(ca.get());
  pki.ca_key_pem = KeyPem(ca_key.get());

  KeyPtr server_key = NewKey();
  CertPtr server = MakeCert(server_key.get(), "kube-apiserver", "", ca.get(), 2);
  AddExt(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExt(server.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
  AddExt(server.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  AddExt(server.get(), ca.get(), NID_subject_alt_name, server_san.c_str());
  Sign(server.get(), ca_key.get());
  pki.server_cert_pem = CertPem(server.get());
  pki.server_key_pem = KeyPem(server_key.get());

  KeyPtr client_key = NewKey();
  CertPtr client = MakeCert(client_key.get(), "skiff-test-user", "system:masters", ca.get(), 3);
  AddExt(client.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExt(client.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  AddExt(client.get(), ca.get(), NID_ext_key_usage, "clientAuth");
  Sign(client.get(), ca_key.get());
  pki.client_cert_pem = CertPem(client.get());
  pki.client_key_pem = KeyPem(client_key.get());
  return pki;
}

std::string WritePemFile(const std::string& path, const std::string& pem) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << pem;
  out.close();
  if (!out) throw std::runtime_error("TestPki: cannot write " + path);
  return path;
}

}  // namespace skiff::compute_aks::testing
