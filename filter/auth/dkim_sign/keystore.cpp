// filter/auth/dkim_sign/keystore.cpp — key file reading and checks, EVP_PKEY cache.
#include "filter/auth/dkim_sign/keystore.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

namespace am::dkim {
namespace {

constexpr size_t kMaxKeyFile = 64 * 1024;

struct Fd {
  int fd = -1;
  ~Fd() { if (fd >= 0) ::close(fd); }
};

// Never prompt for a pass phrase: an encrypted key is an error.
int noPassword(char*, int, int, void*) { return -1; }

std::optional<std::string> readKeyFile(const std::string& path, std::string* err) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY)};
  if (f.fd < 0) {
    *err = "cannot open key file " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  struct stat st{};
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    *err = "key file " + path + " is not a regular file";
    return std::nullopt;
  }
  if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    *err = "key file " + path + " is readable or writable by group/others (mode " + mode +
           "); run: chmod 600 " + path;
    return std::nullopt;
  }
  if (static_cast<size_t>(st.st_size) > kMaxKeyFile) {
    *err = "key file " + path + " is too large to be a private key";
    return std::nullopt;
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::read(f.fd, data.data() + got, data.size() - got);
    if (n <= 0) {
      *err = "cannot read key file " + path;
      return std::nullopt;
    }
    got += static_cast<size_t>(n);
  }
  return data;
}

EvpPkeyPtr decodePem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  EvpPkeyPtr k(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassword, nullptr));
  ERR_clear_error();  // leave no per-thread error queue behind
  return k;
}

}  // namespace

const char* algName(Alg a) { return a == Alg::Rsa ? "rsa-sha256" : "ed25519-sha256"; }

std::optional<LoadedKey> loadKeyFile(const std::string& path, std::optional<Alg> declared, std::string* err) {
  auto pem = readKeyFile(path, err);
  if (!pem) return std::nullopt;
  LoadedKey k;
  k.keyPath = path;
  k.pkey = decodePem(*pem);
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!k.pkey) {
    *err = "key file " + path + " is not an unencrypted PEM private key";
    return std::nullopt;
  }
  int id = EVP_PKEY_get_base_id(k.pkey.get());
  if (id == EVP_PKEY_RSA) {
    k.alg = Alg::Rsa;
    k.bits = static_cast<unsigned>(EVP_PKEY_get_bits(k.pkey.get()));
  } else if (id == EVP_PKEY_ED25519) {
    k.alg = Alg::Ed25519;
    k.bits = 256;
  } else {
    *err = "key file " + path + " holds an unsupported key type (need RSA or Ed25519)";
    return std::nullopt;
  }
  if (declared && *declared != k.alg) {
    *err = "key file " + path + " holds an " + std::string(k.alg == Alg::Rsa ? "RSA" : "Ed25519") +
           " key but " + (*declared == Alg::Rsa ? "rsa" : "ed25519") + " was declared";
    return std::nullopt;
  }
  if (k.alg == Alg::Rsa && k.bits < 1024) {
    *err = "key file " + path + " holds a " + std::to_string(k.bits) + "-bit RSA key; RFC 8301 needs >= 1024";
    return std::nullopt;
  }
  return k;
}

std::unique_ptr<KeyStore> KeyStore::load(const policy::SigningTable& t, std::vector<std::string>& errors) {
  std::unique_ptr<KeyStore> s(new KeyStore());
  size_t before = errors.size();
  for (const auto& e : t.keys) {
    std::string err;
    std::optional<Alg> declared;
    if (!e.algFromKey) declared = e.alg;
    auto k = loadKeyFile(e.keyPath, declared, &err);
    if (!k) {
      errors.push_back((e.origin.empty() ? std::string() : e.origin + ": ") + "key '" + e.name + "': " + err);
      continue;
    }
    k->name = e.name;
    k->domain = e.domain;
    k->selector = e.selector;
    s->keys_.push_back(std::move(*k));
  }
  if (errors.size() != before) return nullptr;
  return s;
}

const LoadedKey* KeyStore::find(const policy::KeyEntry& e) const {
  for (const auto& k : keys_)
    if (k.name == e.name && k.keyPath == e.keyPath) return &k;
  return nullptr;
}

}  // namespace am::dkim
