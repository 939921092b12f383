#include "core/secret_bytes.hpp"

#include <string.h>  // explicit_bzero (glibc)
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <mutex>
#include <new>
#include <ostream>
#include <utility>
#include <vector>

#include "core/random.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define NSL_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define NSL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define NSL_POISON(p, n) ((void)(p), (void)(n))
#define NSL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace nsl {
namespace {

// Why an arena and not operator new + mlock: mlock does not nest, so unlocking one heap buffer
// would unlock a page another live secret shares, and per-buffer mlock/madvise on the heap splits
// the heap into many VMAs. Here secrets share a few dedicated mappings that are locked and DONTDUMP
// once, for the life of the process. Buffers up to kMaxSlot bytes come from per-size-class free
// lists; larger ones get their own mapping.
constexpr std::array<std::size_t, 7> kSlotSizes = {32, 64, 128, 256, 512, 1024, 2048};
constexpr std::size_t kMaxSlot = kSlotSizes.back();
constexpr std::size_t kChunkBytes = 64 * 1024;

struct Slot {
  std::uint8_t* ptr;
  bool locked;
};

std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

std::size_t round_to_pages(std::size_t n) {
  const std::size_t page = page_size();
  if (n > SIZE_MAX - page) throw std::bad_alloc();
  return (n + page - 1) / page * page;
}

// Maps `bytes` (a page multiple) and protects it as far as the OS lets us. Returns whether mlock
// succeeded.
std::uint8_t* map_protected(std::size_t bytes, bool& locked) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_DONTDUMP
  (void)madvise(p, bytes, MADV_DONTDUMP);
#endif
  locked = mlock(p, bytes) == 0;
  return static_cast<std::uint8_t*>(p);
}

std::size_t class_index(std::size_t n) {
  std::size_t i = 0;
  while (kSlotSizes[i] < n) ++i;
  return i;
}

class Arena {
 public:
  Slot allocate(std::size_t n) {
    if (n > kMaxSlot) {
      bool locked = false;
      std::uint8_t* p = map_protected(round_to_pages(n), locked);
      return {p, locked};
    }
    const std::size_t ci = class_index(n);
    std::lock_guard<std::mutex> lock(mu_);
    auto& list = free_[ci];
    if (list.empty()) refill(ci);
    Slot s = list.back();
    list.pop_back();
    NSL_UNPOISON(s.ptr, n);
    return s;
  }

  // `p` must have been wiped by the caller.
  void deallocate(std::uint8_t* p, std::size_t n, bool locked) noexcept {
    if (n > kMaxSlot) {
      const std::size_t bytes = round_to_pages(n);
      if (locked) (void)munlock(p, bytes);
      (void)munmap(p, bytes);
      return;
    }
    const std::size_t ci = class_index(n);
    NSL_POISON(p, kSlotSizes[ci]);
    std::lock_guard<std::mutex> lock(mu_);
    // The free lists were reserved for every slot of every chunk, so this cannot allocate or throw.
    free_[ci].push_back({p, locked});
  }

 private:
  void refill(std::size_t ci) {
    bool locked = false;
    std::uint8_t* chunk = map_protected(kChunkBytes, locked);
    const std::size_t slot = kSlotSizes[ci];
    const std::size_t count = kChunkBytes / slot;
    auto& list = free_[ci];
    try {
      capacity_[ci] += count;
      list.reserve(capacity_[ci]);
    } catch (...) {
      capacity_[ci] -= count;
      (void)munmap(chunk, kChunkBytes);
      throw;
    }
    NSL_POISON(chunk, kChunkBytes);
    for (std::size_t i = count; i-- > 0;) list.push_back({chunk + i * slot, locked});
  }

  std::mutex mu_;
  std::array<std::vector<Slot>, kSlotSizes.size()> free_;
  std::array<std::size_t, kSlotSizes.size()> capacity_{};
};

// Leaked on purpose: SecretBytes with static storage duration may be destroyed after any static
// Arena would be.
Arena& arena() {
  static Arena* const instance = new Arena();
  return *instance;
}

}  // namespace

SecretBytes::SecretBytes(std::size_t size) {
  if (size == 0) return;
  Slot s = arena().allocate(size);
  std::memset(
      s.ptr, 0,
      size);  // recycled slots were wiped already; fresh pages are zero; this is belt and braces
  data_ = s.ptr;
  size_ = size;
  locked_ = s.locked;
}

SecretBytes SecretBytes::copy_of(std::span<const std::uint8_t> bytes) {
  SecretBytes s(bytes.size());
  if (!bytes.empty()) std::memcpy(s.data_, bytes.data(), bytes.size());
  return s;
}

SecretBytes SecretBytes::random(std::size_t size) {
  SecretBytes s(size);
  random_bytes({s.data_, s.size_});
  return s;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      locked_(std::exchange(other.locked_, false)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    locked_ = std::exchange(other.locked_, false);
  }
  return *this;
}

SecretBytes::~SecretBytes() { release(); }

SecretBytes SecretBytes::clone() const { return copy_of({data_, size_}); }

bool SecretBytes::equals(const SecretBytes& other) const noexcept {
  if (size_ != other.size_) return false;
  // volatile keeps the compiler from turning the loop into an early-exit memcmp.
  const volatile std::uint8_t* a = data_;
  const volatile std::uint8_t* b = other.data_;
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < size_; ++i) diff = static_cast<std::uint8_t>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

void SecretBytes::wipe() noexcept {
  if (data_ != nullptr) explicit_bzero(data_, size_);
}

void SecretBytes::release() noexcept {
  if (data_ == nullptr) return;
  explicit_bzero(data_, size_);
  arena().deallocate(data_, size_, locked_);
  data_ = nullptr;
  size_ = 0;
  locked_ = false;
}

void PrintTo(const SecretBytes& s, std::ostream* os) {
  *os << "SecretBytes(" << s.size() << " bytes, redacted)";
}

}  // namespace nsl
