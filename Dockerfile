# syntax=docker/dockerfile:1
# kube-oidc-issuer: build with the Maven wrapper, run on a JRE 17 as a non-root user.
# State (keys, the filesystem mirror) lives under one volume, /data; the root filesystem can be read-only.

FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn .mvn
COPY mvnw pom.xml ./
COPY key-rotation/pom.xml key-rotation/pom.xml
COPY issuer-service/pom.xml issuer-service/pom.xml
RUN ./mvnw -q -B dependency:go-offline -DexcludeReactor=true || true
COPY key-rotation/src key-rotation/src
COPY issuer-service/src issuer-service/src
RUN ./mvnw -q -B -DskipTests package

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 issuer && useradd --system --uid 10001 --gid issuer --home-dir /data issuer \
    && mkdir -p /data /run/kube-oidc-issuer && chown issuer:issuer /data /run/kube-oidc-issuer
COPY --from=build /src/issuer-service/target/issuer-service.jar /opt/issuer/issuer-service.jar
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# Public documents on 8080, health and metrics on 8081 (keep that one internal).
EXPOSE 8080 8081
ENV ISSUER_KEYS_DIRECTORY=/data/keys \
    ISSUER_MIRROR_FILESYSTEM_DIRECTORY=/data/public \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=60 -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.io.tmpdir=/data/tmp -Xss512k"
# No curl in the JRE image: ask the readiness endpoint with bash's /dev/tcp.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/8081 && printf "GET /actuator/health/readiness HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3 && grep -q "\"status\":\"UP\"" <&3'
ENTRYPOINT ["sh", "-c", "mkdir -p /data/tmp && exec java -jar /opt/issuer/issuer-service.jar \"$@\"", "--"]
