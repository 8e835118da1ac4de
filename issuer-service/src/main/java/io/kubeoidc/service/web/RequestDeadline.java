package io.kubeoidc.service.web;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * One connection's deadline for a whole request: it starts when the connection is accepted and at the first
 * byte after each request, and ends when the request (head and any body) has been decoded. A client that is
 * not done by then is disconnected, so a client sending a byte now and then (which resets an idle timer)
 * holds its connection for at most the timeout. Two handlers share it: {@link #bytesIn()} before the HTTP
 * codec sees the bytes, {@link #requestsIn()} after it sees the requests.
 *
 * <p>Like Netty's IdleStateHandler, it keeps at most one timer per connection and moves its start instead of
 * rescheduling it per request: a busy keep-alive connection costs a clock read per request.
 */
final class RequestDeadline {
    private static final long IDLE = -1;

    private final long timeoutNanos;
    private final Counter timeouts;
    private ChannelHandlerContext ctx;
    /** When the request being read started (System.nanoTime), or IDLE between requests. */
    private long started = IDLE;
    private Future<?> timer;

    RequestDeadline(long timeoutNanos, Counter timeouts) {
        this.timeoutNanos = timeoutNanos;
        this.timeouts = timeouts;
    }

    ChannelHandler bytesIn() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext c) throws Exception {
                ctx = c;
                start();
                super.channelActive(c);
            }

            @Override
            public void channelRead(ChannelHandlerContext c, Object msg) throws Exception {
                if (started == IDLE && msg instanceof ByteBuf) {
                    start();
                }
                super.channelRead(c, msg);
            }

            @Override
            public void channelInactive(ChannelHandlerContext c) throws Exception {
                started = IDLE;
                if (timer != null) {
                    timer.cancel(false);
                    timer = null;
                }
                super.channelInactive(c);
            }
        };
    }

    ChannelHandler requestsIn() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext c, Object msg) throws Exception {
                if (msg instanceof LastHttpContent) {
                    started = IDLE; // the request is complete; a pipelined one behind it starts with its next bytes
                }
                super.channelRead(c, msg);
            }
        };
    }

    private void start() {
        started = System.nanoTime();
        if (timer == null && ctx != null) {
            timer = ctx.executor().schedule(this::check, timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void check() {
        timer = null;
        if (started == IDLE || !ctx.channel().isActive()) {
            return;
        }
        long left = started + timeoutNanos - System.nanoTime();
        if (left > 0) {
            timer = ctx.executor().schedule(this::check, left, TimeUnit.NANOSECONDS);
        } else {
            timeouts.increment();
            ctx.close();
        }
    }
}
