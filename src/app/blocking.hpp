// nsl/app/blocking.hpp — run a blocking call (database, password hash) on a worker pool from a
// coroutine, so that the I/O threads never wait on it.
//
//   Result<Row> r = co_await offload(pool, [&] { return repo.get(tx, id); });
//
// The caller's coroutine resumes on its own executor. fn runs exactly once on a pool thread; it
// must not throw (it returns Result/Status). References captured by fn stay valid: the coroutine
// frame is suspended until fn has returned.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
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

}  // namespace nsl::app
