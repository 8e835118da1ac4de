package io.kubeoidc.service.bench;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.kubeoidc.externaljwt.v1.ExternalJWTSignerGrpc;
import io.kubeoidc.externaljwt.v1.SignJWTRequest;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Sign over the Unix socket with N concurrent callers, against raw JCA SHA256withRSA (RSA-2048) on the
 * same cores in the same run: raw, socket, raw. Run by bench/sign.sh against a running service; not a test.
 * Usage: SignBenchmark SOCKET [seconds=10] [callers=16] [warm-up seconds=3]
 * Prints a table, then one "result KEY VALUE" line per number for bench/run. Exits 1 if any call failed.
 */
public final class SignBenchmark {
    /** A kube-apiserver-sized payload (about 400 bytes of claims), for bench/lib.sh's issuer and an hour's lifetime. */
    static final String CLAIMS = Base64.getUrlEncoder().withoutPadding().encodeToString(("{\"aud\":[\"api://AzureADTokenExchange\"],"
            + "\"exp\":1514768400,\"iat\":1514764800,\"iss\":\"https://oidc.example.com\",\"jti\":\"5ba1e2a5-6f4c-4d71-9a3b-0c3f2a1b7e10\","
            + "\"kubernetes.io\":{\"namespace\":\"myns\",\"node\":{\"name\":\"node-1\",\"uid\":\"node-1-uid\"},\"pod\":{\"name\":\"mypod\","
            + "\"uid\":\"mypod-uid\"},\"serviceaccount\":{\"name\":\"mysvcacct\",\"uid\":\"mysvcacct-uid\"}},\"nbf\":1514764800,"
            + "\"sub\":\"system:serviceaccount:myns:mysvcacct\"}").getBytes(StandardCharsets.UTF_8));

    record Result(String name, long ops, double seconds, long[] latenciesNanos) {
        double rate() {
            return ops / seconds;
        }

        double percentileMillis(double p) {
            long[] l = latenciesNanos;
            return l.length == 0 ? 0 : l[Math.min(l.length - 1, (int) Math.ceil(p * l.length) - 1)] / 1e6;
        }
    }

    interface Op {
        void run() throws Exception;
    }

    static Result measure(String name, int callers, int seconds, Supplier<Op> perThread) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        List<long[]> perThreadLatencies = new ArrayList<>();
        long[] counts = new long[callers];
        CountDownLatch done = new CountDownLatch(callers);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            int id = t;
            long[] lat = new long[2_000_000];
            perThreadLatencies.add(lat);
            Op op = perThread.get();
            threads.add(new Thread(() -> {
                try {
                    while (!stop.get()) {
                        long s = System.nanoTime();
                        op.run();
                        long n = counts[id]++;
                        if (n < lat.length) {
                            lat[(int) n] = System.nanoTime() - s;
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                } finally {
                    done.countDown();
                }
            }));
        }
        long start = System.nanoTime();
        threads.forEach(t -> {
            t.setUncaughtExceptionHandler((th, e) -> fail(e));
            t.start();
        });
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        done.await();
        double elapsed = (System.nanoTime() - start) / 1e9;
        long total = Arrays.stream(counts).sum();
        long[] all = new long[(int) Math.min(total, Integer.MAX_VALUE - 8)];
        int k = 0;
        for (int t = 0; t < callers; t++) {
            int n = (int) Math.min(counts[t], perThreadLatencies.get(t).length);
            System.arraycopy(perThreadLatencies.get(t), 0, all, k, n);
            k += n;
        }
        long[] lat = Arrays.copyOf(all, k);
        Arrays.sort(lat);
        return new Result(name, total, elapsed, lat);
    }

    /** The first failed call, if any: the run still ends, then main exits 1. */
    static final java.util.concurrent.atomic.AtomicReference<Throwable> FAILURE = new java.util.concurrent.atomic.AtomicReference<>();

    static void fail(Throwable e) {
        if (FAILURE.compareAndSet(null, e)) {
            e.printStackTrace();
        }
    }

    /** {@code callers} Sign calls always in flight from one async client, as a Go client's goroutines would be. */
    static Result inFlight(ExternalJWTSignerGrpc.ExternalJWTSignerStub stub, SignJWTRequest request, int callers,
                           int seconds) throws Exception {
        java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(callers);
        long[] lat = new long[4_000_000];
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long start = System.nanoTime();
        while (System.nanoTime() < end) {
            slots.acquire();
            long s = System.nanoTime();
            stub.sign(request, new io.grpc.stub.StreamObserver<>() {
                @Override
                public void onNext(io.kubeoidc.externaljwt.v1.SignJWTResponse value) {
                    int i = n.getAndIncrement();
                    if (i < lat.length) {
                        lat[i] = System.nanoTime() - s;
                    }
                }

                @Override
                public void onError(Throwable t) {
                    fail(t);
                    slots.release();
                }

                @Override
                public void onCompleted() {
                    slots.release();
                }
            });
        }
        slots.acquire(callers);
        double elapsed = (System.nanoTime() - start) / 1e9;
        long[] l = Arrays.copyOf(lat, Math.min(n.get(), lat.length));
        Arrays.sort(l);
        return new Result("Sign, " + callers + " calls in flight (async)", n.get(), elapsed, l);
    }

    public static void main(String[] args) throws Exception {
        String socket = args[0];
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int callers = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        byte[] input = ("eyJhbGciOiJSUzI1NiIsImtpZCI6IngiLCJ0eXAiOiJKV1QifQ." + CLAIMS).getBytes(StandardCharsets.US_ASCII);
        RawSigner rawSigner = RawSigner.fromSystemProperties();
        String prefix = System.getProperty("bench.prefix", "sign");
        Supplier<Op> raw = () -> () -> rawSigner.sign(input);
        var group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        ManagedChannel channel = NettyChannelBuilder.forAddress(UnixDomainSocketAddress.of(socket))
                .channelType(NioDomainSocketChannel.class).eventLoopGroup(group).overrideAuthority("localhost")
                .usePlaintext().build();
        var stub = ExternalJWTSignerGrpc.newBlockingStub(channel);
        SignJWTRequest request = SignJWTRequest.newBuilder().setClaims(CLAIMS).build();
        Supplier<Op> grpc = () -> () -> stub.sign(request);

        var async = ExternalJWTSignerGrpc.newStub(channel);
        var first = stub.sign(request);
        if (first.getHeader().isEmpty() || first.getSignature().isEmpty()) {
            throw new IllegalStateException("Sign answered without a header or a signature: " + first);
        }

        if (warmup > 0) {
            measure("warm-up raw", callers, warmup, raw);
            measure("warm-up socket", callers, warmup, grpc);
            inFlight(async, request, callers, warmup);
        }
        List<Result> results = List.of(measure(rawSigner.name(), callers, seconds, raw),
                measure("Sign, " + callers + " blocking client threads", callers, seconds, grpc),
                inFlight(async, request, callers, seconds),
                measure(rawSigner.name() + " (again)", callers, seconds, raw));
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);

        System.out.printf("%-32s %10s %10s %10s%n", "", "ops/s", "p50 ms", "p99 ms");
        for (Result r : results) {
            System.out.printf("%-32s %10.0f %10.2f %10.2f%n", r.name(), r.rate(), r.percentileMillis(0.50),
                    r.percentileMillis(0.99));
        }
        double rawMean = (results.get(0).rate() + results.get(3).rate()) / 2;
        System.out.printf("ratio Sign (blocking callers) / " + rawSigner.name() + " (mean of both raw runs): %.2f  (goal >= 0.80)%n",
                results.get(1).rate() / rawMean);
        System.out.printf("ratio Sign (calls in flight) / " + rawSigner.name() + " (mean of both raw runs): %.2f  (goal >= 0.80)%n",
                results.get(2).rate() / rawMean);
        String[] keys = {"raw1", "blocking", "inflight", "raw2"};
        for (int i = 0; i < keys.length; i++) {
            Result r = results.get(i);
            System.out.printf("result %s.%s.ops %.1f%n", prefix, keys[i], r.rate());
            System.out.printf("result %s.%s.p50_ms %.3f%n", prefix, keys[i], r.percentileMillis(0.50));
            System.out.printf("result %s.%s.p99_ms %.3f%n", prefix, keys[i], r.percentileMillis(0.99));
        }
        System.out.printf("result %s.blocking.ratio %.2f%n", prefix, results.get(1).rate() / rawMean);
        System.out.printf("result %s.inflight.ratio %.2f%n", prefix, results.get(2).rate() / rawMean);
        Throwable failure = FAILURE.get();
        if (failure != null || results.stream().anyMatch(r -> r.ops() == 0)) {
            System.err.println("SignBenchmark: FAILED: " + (failure != null ? failure : "a run completed no call"));
            System.exit(1);
        }
    }

    /**
     * What Sign is compared with: raw JCA with a key in memory, or (bench.pkcs11.config set, the custody row) raw
     * SunPKCS11 signing with an RSA-2048 key generated on the same token the service signs with.
     */
    record RawSigner(String name, java.security.Provider provider, java.security.PrivateKey key) {
        static RawSigner fromSystemProperties() throws Exception {
            String config = System.getProperty("bench.pkcs11.config");
            if (config == null) {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048);
                return new RawSigner("raw JCA SHA256withRSA", null, g.generateKeyPair().getPrivate());
            }
            java.security.Provider p11 = java.security.Security.getProvider("SunPKCS11").configure(config);
            char[] pin = java.nio.file.Files.readString(java.nio.file.Path.of(System.getProperty("bench.pkcs11.pin-file")))
                    .strip().toCharArray();
            java.security.KeyStore.getInstance("PKCS11", p11).load(null, pin); // logs in
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", p11);
            g.initialize(2048);
            return new RawSigner("raw SunPKCS11 SHA256withRSA", p11, g.generateKeyPair().getPrivate());
        }

        void sign(byte[] input) throws Exception {
            Signature s = provider == null ? Signature.getInstance("SHA256withRSA")
                    : Signature.getInstance("SHA256withRSA", provider);
            s.initSign(key);
            s.update(input);
            s.sign();
        }
    }
}
