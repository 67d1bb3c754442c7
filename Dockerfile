# orgd in a container: the static binary on an empty image.
#
#   docker build --build-arg VERSION=v1.2.3 -t orgd .
#   docker run -p 9323:9323 -v orgd-data:/var/lib/orgd \
#     -v "$PWD/credentials.json:/config/credentials.json:ro" \
#     -e ORGD_CREDENTIALS=/config/credentials.json orgd
#
# Inside the container orgd listens on 0.0.0.0, which is not loopback: it starts only with
# credentials to verify (ORGD_CREDENTIALS) or with ORGD_INSECURE_OPEN=true. Off loopback the
# admin API wants a bearer token: set ORGD_ADMIN_TOKEN, or read the one orgd generates from
# /var/lib/orgd/admin-token. Set ORGD_PUBLIC_URL to the address people reach orgd by, for the
# console links in e-mails. Every serve flag can be set as ORGD_<FLAG> (see the README).
# CI does not build this image (no Docker engine runs there); scripts/release builds the
# same binary.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -buildid= -X main.version=${VERSION}" -o /out/orgd ./cmd/orgd \
 && mkdir -p /out/data/orgd /out/tmp

FROM scratch
# CA certificates: for smtps:// and STARTTLS to a mail server.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/orgd /orgd
COPY --from=build --chown=65532:65532 /out/data /var/lib
# SQLite spills large sorts to temporary files.
COPY --from=build --chown=65532:65532 /out/tmp /tmp
USER 65532:65532
# The data directory is $XDG_DATA_HOME/orgd for serve and for the admin commands alike
# (docker exec CONTAINER /orgd accounts finds the generated admin token there).
ENV ORGD_LISTEN=0.0.0.0:9323 \
    XDG_DATA_HOME=/var/lib
VOLUME /var/lib/orgd
EXPOSE 9323
# No shell or curl in the image: orgd asks itself (GET /_orgd/health on 127.0.0.1:9323).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s CMD ["/orgd", "health"]
ENTRYPOINT ["/orgd"]
CMD ["serve"]
