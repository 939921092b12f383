// nsl/app/blocking.hpp — run a blocking call (database, password hash) on a worker pool from a
// coroutine, so that the I/O threads never wait on it.
//
//   Result<Row> r = co_await offload(pool, [&] { return repo.get(tx, id); });
//
// The caller's coroutine resumes on its own executor. fn runs exactly once on a pool thread; it
// must not throw (it returns Result/Status). References captured by fn stay valid: the coroutine
// frame is suspended until fn has returned. A coroutine that already runs on the pool (see
// on_pool) calls fn in place: it is on a pool thread, and two hops would only cost wake-ups.
//
//   Response res = co_await on_pool(pool, handle(req));   // the whole coroutine on the pool
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <type_traits>
#include <utility>

namespace nsl::app {

template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> offload(boost::asio::thread_pool& pool, F fn) {
  using R = std::invoke_result_t<F&>;
  if (pool.get_executor().running_in_this_thread()) co_return fn();
  std::optional<R> out;
  co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void()>(
      [&pool, &fn, &out](auto handler) {
        boost::asio::post(pool, [&fn, &out, h = std::move(handler)]() mutable {
          out.emplace(fn());
          auto ex = boost::asio::get_associated_executor(h);
          boost::asio::post(ex, std::move(h));
        });
      },
      boost::asio::use_awaitable);
  co_return std::move(*out);
}

// Runs the coroutine `a` on the pool and resumes the caller on its own executor with a's result
// (an exception in `a` is rethrown to the caller). For a request whose work blocks in several
// steps (access checks, then the handler's store calls): one hop to the pool and one back,
// instead of two per step. Only for coroutines whose own I/O is asynchronous or blocking-by-design
// (never the socket of the connection).
template <class T>
boost::asio::awaitable<T> on_pool(boost::asio::thread_pool& pool, boost::asio::awaitable<T> a) {
  if (pool.get_executor().running_in_this_thread()) co_return co_await std::move(a);
  co_return co_await boost::asio::co_spawn(pool, std::move(a), boost::asio::use_awaitable);
}

}  // namespace nsl::app
