// offload / on_pool: where the work runs and where the caller resumes.
#include "app/blocking.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <stdexcept>
#include <thread>

namespace nsl::app {
namespace {

namespace asio = boost::asio;

struct Seen {
  std::thread::id caller;
  std::thread::id fn;
  std::thread::id inner;
  std::thread::id inner_fn;
  std::thread::id resumed;
  int value = 0;
  bool threw = false;
};

asio::awaitable<int> on_the_pool(asio::thread_pool& pool, Seen& s) {
  s.inner = std::this_thread::get_id();
  int v = co_await offload(pool, [&s] {
    s.inner_fn = std::this_thread::get_id();
    return 41;
  });
  co_return v + 1;
}

asio::awaitable<int> throwing() {
  throw std::runtime_error("boom");
  co_return 0;
}

asio::awaitable<void> run(asio::thread_pool& pool, Seen& s) {
  s.caller = std::this_thread::get_id();
  (void)co_await offload(pool, [&s] {
    s.fn = std::this_thread::get_id();
    return 0;
  });
  s.value = co_await on_pool(pool, on_the_pool(pool, s));
  try {
    (void)co_await on_pool(pool, throwing());
  } catch (const std::runtime_error&) {
    s.threw = true;
  }
  s.resumed = std::this_thread::get_id();
}

TEST(BlockingTest, OffloadAndOnPoolRunOnThePoolAndResumeTheCaller) {
  asio::io_context ioc;
  asio::thread_pool pool(2);
  Seen s;
  asio::co_spawn(ioc, run(pool, s), asio::detached);
  ioc.run();
  pool.join();
  const auto io = std::this_thread::get_id();
  EXPECT_EQ(s.caller, io);
  EXPECT_NE(s.fn, io);                // offload from the I/O thread: a pool thread
  EXPECT_NE(s.inner, io);             // on_pool: the coroutine runs on a pool thread
  EXPECT_EQ(s.inner_fn, s.inner);     // and its offload runs in place there
  EXPECT_EQ(s.value, 42);
  EXPECT_TRUE(s.threw);               // an exception reaches the caller
  EXPECT_EQ(s.resumed, io);           // which resumes on its own executor
}

}  // namespace
}  // namespace nsl::app
