# syntax=docker/dockerfile:1
# kube-oidc-issuer: build with the Maven wrapper (Java 17 bytecode), run on a JRE 25 as a non-root user.
# JRE 25 because its AOT cache (JEP 514) starts the service in 2.8 s where JDK 17's AppCDS takes 3.2 s on
# 2 cores (docs/benchmarks.md); the training script below builds whichever the runtime JRE supports.
# State (keys, the filesystem mirror) lives under one volume, /data; the root filesystem can be read-only.

FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
COPY key-rotation/pom.xml key-rotation/pom.xml
COPY issuer-service/pom.xml issuer-service/pom.xml
# The reactor lists the example workload (examples/workload); the image builds only the service.
COPY examples/workload/pom.xml examples/workload/pom.xml
RUN ./mvnw -q -B -pl issuer-service -am dependency:go-offline -DexcludeReactor=true || true
COPY key-rotation/src key-rotation/src
COPY issuer-service/src issuer-service/src
RUN ./mvnw -q -B -pl issuer-service -am -DskipTests package \
    && issuer-service/src/main/docker/app-cds.sh extract issuer-service/target/issuer-service.jar /layers

FROM eclipse-temurin:25-jre
RUN groupadd --system --gid 10001 issuer && useradd --system --uid 10001 --gid issuer --home-dir /data issuer \
    && mkdir -p /data /run/kube-oidc-issuer && chown issuer:issuer /data /run/kube-oidc-issuer
# JVM options: why these, and the same in the Helm chart, the static pod and the systemd unit, in
# docs/deployment.md ("JVM options"); bench/run measures the image with exactly this line.
ENV JAVA_TOOL_OPTIONS="-XX:+UseSerialGC -Xms32m -Xmx128m -Xss512k -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/data/tmp"
COPY issuer-service/src/main/docker/app-cds.sh /opt/issuer/app-cds.sh
# The extracted jar, the least often changed layer first: a new release mostly replaces the last two.
COPY --from=build /layers/dependencies/ /opt/issuer/
COPY --from=build /layers/spring-boot-loader/ /opt/issuer/
COPY --from=build /layers/snapshot-dependencies/ /opt/issuer/
COPY --from=build /layers/application/ /opt/issuer/
# Class data sharing: one training start with this JRE and these options writes /opt/issuer/issuer-service.jsa
# and /opt/issuer/jvm.args, then a second start must use the archive. The training runs on a throwaway key
# store in a temporary directory that it deletes (no network, no port); /data must still be empty after it.
RUN /opt/issuer/app-cds.sh train /opt/issuer && test -z "$(ls -A /data)"
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# Public documents on 8080, health and metrics on 8081 (keep that one internal).
EXPOSE 8080 8081
ENV ISSUER_KEYS_DIRECTORY=/data/keys \
    ISSUER_MIRROR_FILESYSTEM_DIRECTORY=/data/public
# No curl in the JRE image: ask the readiness endpoint with bash's /dev/tcp.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/8081 && printf "GET /actuator/health/readiness HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3 && grep -q "\"status\":\"UP\"" <&3'
# @/opt/issuer/jvm.args names the archive, so it is used even when JAVA_TOOL_OPTIONS is replaced (Helm, static pod).
ENTRYPOINT ["sh", "-c", "mkdir -p /data/tmp && exec java @/opt/issuer/jvm.args -jar /opt/issuer/issuer-service.jar \"$@\"", "--"]
