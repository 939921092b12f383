// bench/softhsm_bench.cpp — the peer for bench/sign_load.sh: SoftHSM v2's PKCS#11 P-256 signing rate.
//
//   bench_softhsm MODULE SECONDS [THREADS]
//
// dlopens the PKCS#11 module MODULE (e.g. /usr/lib/softhsm/libsofthsm2.so), points it at a fresh token directory
// (a temporary SOFTHSM2_CONF, removed on exit), initialises a token, sets a user PIN, generates an EC P-256 key
// pair (CKM_EC_KEY_PAIR_GEN, private key on the token, sensitive, non-extractable) and signs 32-byte digests
// with CKM_ECDSA (C_SignInit + C_Sign per signature) for SECONDS on THREADS threads (default 1), each with its own
// session. Prints one line: "softhsm threads=T signs=N seconds=S rate=R failures=F".
// Only the PKCS#11 header is needed at build time (p11-kit's); the module is found at run time.
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <p11-kit/pkcs11.h>

namespace {

using Clock = std::chrono::steady_clock;
CK_FUNCTION_LIST_PTR p11 = nullptr;
std::string g_dir;  // the temporary token directory, removed on every exit path

[[noreturn]] void fail(const char* what, CK_RV rv) {
  std::fprintf(stderr, "bench_softhsm: %s failed: CKR 0x%lx\n", what, static_cast<unsigned long>(rv));
  std::error_code ec;
  if (!g_dir.empty()) std::filesystem::remove_all(g_dir, ec);
  std::exit(1);
}
void check(const char* what, CK_RV rv) {
  if (rv != CKR_OK) fail(what, rv);
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/nsl-softhsm-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      std::perror("mkdtemp");
      std::exit(1);
    }
    path = tmpl;
    g_dir = path;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

void pad(CK_UTF8CHAR* dst, std::size_t n, const char* src) {
  std::memset(dst, ' ', n);
  std::memcpy(dst, src, std::min(n, std::strlen(src)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_softhsm MODULE SECONDS [THREADS]\n");
    return 2;
  }
  const char* module = argv[1];
  const double seconds = std::atof(argv[2]);
  const int threads = argc > 3 ? std::atoi(argv[3]) : 1;
  if (seconds <= 0 || threads < 1) {
    std::fprintf(stderr, "bench_softhsm: SECONDS and THREADS must be positive\n");
    return 2;
  }

  const TempDir dir;
  const std::string tokens = dir.path + "/tokens";
  std::filesystem::create_directories(tokens);
  {
    std::ofstream conf(dir.path + "/softhsm2.conf");
    conf << "directories.tokendir = " << tokens << "\nobjectstore.backend = file\nlog.level = ERROR\n"
         << "slots.removable = false\n";
  }
  ::setenv("SOFTHSM2_CONF", (dir.path + "/softhsm2.conf").c_str(), 1);

  void* lib = ::dlopen(module, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    std::fprintf(stderr, "bench_softhsm: dlopen %s: %s\n", module, ::dlerror());
    return 1;
  }
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(lib, "C_GetFunctionList"));
  if (get_list == nullptr) {
    std::fprintf(stderr, "bench_softhsm: %s has no C_GetFunctionList\n", module);
    return 1;
  }
  check("C_GetFunctionList", get_list(&p11));

  CK_C_INITIALIZE_ARGS init{};
  init.flags = CKF_OS_LOCKING_OK;
  check("C_Initialize", p11->C_Initialize(&init));

  // A fresh token directory has one slot with an uninitialised token.
  CK_ULONG nslots = 0;
  check("C_GetSlotList", p11->C_GetSlotList(CK_FALSE, nullptr, &nslots));
  if (nslots == 0) fail("finding a slot", CKR_SLOT_ID_INVALID);
  std::vector<CK_SLOT_ID> slots(nslots);
  check("C_GetSlotList", p11->C_GetSlotList(CK_FALSE, slots.data(), &nslots));
  const char* so_pin = "12345678";
  const char* user_pin = "87654321";
  CK_UTF8CHAR label[32];
  pad(label, sizeof label, "nsl-bench");
  check("C_InitToken", p11->C_InitToken(slots[0], reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(so_pin)),
                                        std::strlen(so_pin), label));
  // SoftHSM moves the initialised token to a new slot id: find it by label.
  check("C_GetSlotList", p11->C_GetSlotList(CK_TRUE, nullptr, &nslots));
  slots.resize(nslots);
  check("C_GetSlotList", p11->C_GetSlotList(CK_TRUE, slots.data(), &nslots));
  CK_SLOT_ID slot = 0;
  bool found = false;
  for (CK_ULONG i = 0; i < nslots; ++i) {
    CK_TOKEN_INFO ti;
    if (p11->C_GetTokenInfo(slots[i], &ti) == CKR_OK && std::memcmp(ti.label, label, sizeof label) == 0 &&
        (ti.flags & CKF_TOKEN_INITIALIZED)) {
      slot = slots[i];
      found = true;
      break;
    }
  }
  if (!found) fail("finding the initialised token", CKR_TOKEN_NOT_PRESENT);

  CK_SESSION_HANDLE admin;
  check("C_OpenSession", p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &admin));
  check("C_Login(SO)", p11->C_Login(admin, CKU_SO, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(so_pin)),
                                    std::strlen(so_pin)));
  check("C_InitPIN", p11->C_InitPIN(admin, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(user_pin)),
                                    std::strlen(user_pin)));
  check("C_Logout", p11->C_Logout(admin));
  check("C_Login(USER)", p11->C_Login(admin, CKU_USER,
                                      reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(user_pin)),
                                      std::strlen(user_pin)));

  // P-256: DER of OID 1.2.840.10045.3.1.7.
  CK_BYTE ec_params[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_ATTRIBUTE pub_tmpl[] = {{CKA_EC_PARAMS, ec_params, sizeof ec_params},
                             {CKA_VERIFY, &yes, sizeof yes},
                             {CKA_TOKEN, &no, sizeof no}};
  CK_ATTRIBUTE priv_tmpl[] = {{CKA_SIGN, &yes, sizeof yes},
                              {CKA_TOKEN, &yes, sizeof yes},
                              {CKA_PRIVATE, &yes, sizeof yes},
                              {CKA_SENSITIVE, &yes, sizeof yes},
                              {CKA_EXTRACTABLE, &no, sizeof no}};
  CK_MECHANISM gen{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE pub = 0, priv = 0;
  check("C_GenerateKeyPair", p11->C_GenerateKeyPair(admin, &gen, pub_tmpl, 3, priv_tmpl, 5, &pub, &priv));

  CK_BYTE digest[32];
  for (int i = 0; i < 32; ++i) digest[i] = static_cast<CK_BYTE>(i * 7 + 1);
  CK_MECHANISM ecdsa{CKM_ECDSA, nullptr, 0};
  {  // one signature up front: the key works and the signature has the P-256 size
    CK_BYTE sig[132];
    CK_ULONG len = sizeof sig;
    check("C_SignInit", p11->C_SignInit(admin, &ecdsa, priv));
    check("C_Sign", p11->C_Sign(admin, digest, sizeof digest, sig, &len));
    if (len != 64) fail("checking the signature length (expected 64)", CKR_GENERAL_ERROR);
  }

  std::atomic<bool> stop{false};
  std::atomic<long> total{0}, failures{0};
  std::vector<std::thread> pool;
  const auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      CK_SESSION_HANDLE s;
      if (p11->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &s) != CKR_OK) {
        failures.fetch_add(1);
        return;
      }
      long n = 0;
      CK_BYTE sig[132];
      while (!stop.load(std::memory_order_relaxed)) {
        CK_ULONG len = sizeof sig;
        if (p11->C_SignInit(s, &ecdsa, priv) != CKR_OK ||
            p11->C_Sign(s, digest, sizeof digest, sig, &len) != CKR_OK) {
          failures.fetch_add(1);
        }
        ++n;
      }
      p11->C_CloseSession(s);
      total.fetch_add(n);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("softhsm threads=%d signs=%ld seconds=%.3f rate=%.1f failures=%ld\n", threads, total.load(), s,
              static_cast<double>(total.load()) / s, failures.load());

  p11->C_Logout(admin);
  p11->C_CloseSession(admin);
  p11->C_Finalize(nullptr);
  // No dlclose: SoftHSM's static destructors run at exit either way.
  return failures.load() == 0 ? 0 : 1;
}
