# syntax=docker/dockerfile:1
# The kubechain hook server: a static Go binary on distroless, running as
# non-root. Build with `make docker-build` (needs BuildKit for the cache mounts).

FROM golang:1.26 AS build
WORKDIR /src
# The golang image keeps modules in /go/pkg/mod (GOPATH=/go) and the build
# cache in /root/.cache/go-build; both are BuildKit cache mounts, so neither
# ends up in a layer and both survive between builds.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/hookserver ./cmd/hookserver

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hookserver /hookserver
# nonroot is uid/gid 65532; deploy/hookserver.yaml sets the same numeric ids
# so that the kubelet can enforce runAsNonRoot.
USER nonroot
EXPOSE 8080
ENTRYPOINT ["/hookserver"]
CMD ["serve"]
