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

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <memory>
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

// Starts an operation that reports its outcome through a callback — `start(done)`, where `done(T)` runs
// exactly once on any thread, or inline before start returns — and resumes the calling coroutine on `ex`
// with that outcome. A handler that runs on the pool (on_pool) uses it to wait for the enclave or the audit
// log's group commit without holding a pool thread, and to come back on the connection's strand
// (http::RequestContext::executor): the completions of many requests then queue on the I/O threads instead
// of waking one blocked pool thread each. After it, the coroutine runs on `ex`; offload() from there hops
// to the pool again (and stays there).
//
//   Result<Sig> sig = co_await await_on<Result<Sig>>(req.ctx.executor, [&](auto done) { enclave.sign_async(…, done); });
template <class T, class Start>
boost::asio::awaitable<T> await_on(boost::asio::any_io_executor ex, Start start) {
  std::optional<T> out;
  co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void()>(
      [&out, &start, &ex](auto handler) {
        // std::function needs a copyable callable; the handler itself is move-only.
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        std::function<void(T)> done = [&out, ex, h](T value) {
          out.emplace(std::move(value));
          boost::asio::post(ex, [h] { (*h)(); });
        };
        start(std::move(done));
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
