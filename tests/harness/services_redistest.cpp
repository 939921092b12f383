// Smoke test of the harness Redis: password required, version 7, keys with expiry work.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>

#include "harness/harness.hpp"

namespace nsl::testing {
namespace {

struct ContextCloser {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyCloser {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Context = std::unique_ptr<redisContext, ContextCloser>;
using Reply = std::unique_ptr<redisReply, ReplyCloser>;

Context connect(const RedisEndpoint& ep) {
  const timeval timeout{5, 0};
  return Context(redisConnectWithTimeout(ep.host.c_str(), ep.port, timeout));
}

Reply command(redisContext* c, const char* fmt, const std::string& a = {},
              const std::string& b = {}) {
  return Reply(static_cast<redisReply*>(redisCommand(c, fmt, a.c_str(), b.c_str())));
}

class ServicesRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NSL_REQUIRE_REDIS();
    auto ep = parse_redis_url(*redis_url());
    ASSERT_TRUE(ep.has_value()) << *redis_url();
    ep_ = *ep;
    ctx_ = connect(ep_);
    ASSERT_TRUE(ctx_ && ctx_->err == 0) << (ctx_ ? ctx_->errstr : "alloc failed");
    Reply auth = command(ctx_.get(), "AUTH %s", ep_.password);
    ASSERT_TRUE(auth);
    ASSERT_EQ(auth->type, REDIS_REPLY_STATUS) << (auth->str ? auth->str : "");
    EXPECT_STREQ(auth->str, "OK");
  }

  RedisEndpoint ep_;
  Context ctx_;
};

TEST_F(ServicesRedisTest, PingAnswersPong) {
  Reply r = command(ctx_.get(), "PING");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->type, REDIS_REPLY_STATUS);
  EXPECT_STREQ(r->str, "PONG");
}

TEST_F(ServicesRedisTest, ServerIsRedis7) {
  Reply r = command(ctx_.get(), "INFO server");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->type, REDIS_REPLY_STRING);
  const std::string info(r->str, r->len);
  EXPECT_NE(info.find("redis_version:7."), std::string::npos) << info;
}

TEST_F(ServicesRedisTest, SetGetWithExpiry) {
  const std::string key = "nsl:harness:smoke:" + std::to_string(::getpid());
  Reply set = command(ctx_.get(), "SET %s %s PX 300", key, "value-1");
  ASSERT_TRUE(set);
  EXPECT_STREQ(set->str, "OK");
  Reply get = command(ctx_.get(), "GET %s", key);
  ASSERT_TRUE(get);
  ASSERT_EQ(get->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(get->str, get->len), "value-1");
  Reply ttl = command(ctx_.get(), "PTTL %s", key);
  ASSERT_TRUE(ttl);
  ASSERT_EQ(ttl->type, REDIS_REPLY_INTEGER);
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, 300);
  // Expired keys vanish on access.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  Reply gone = command(ctx_.get(), "GET %s", key);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->type, REDIS_REPLY_NIL);
}

TEST(ServicesRedisAuthTest, CommandsWithoutPasswordAreRefused) {
  NSL_REQUIRE_REDIS();
  auto ep = parse_redis_url(*redis_url());
  ASSERT_TRUE(ep.has_value());
  Context ctx = connect(*ep);
  ASSERT_TRUE(ctx && ctx->err == 0);
  Reply r = command(ctx.get(), "PING");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->type, REDIS_REPLY_ERROR);
  EXPECT_NE(std::string(r->str).find("NOAUTH"), std::string::npos) << r->str;
}

}  // namespace
}  // namespace nsl::testing
