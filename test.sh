#!/usr/bin/env bash
# Runs every Fabric test on a fresh machine of this kind: installs what the tests need (PostgreSQL server, the
# OpenStack clients, Keystone, DPDK), starts a throwaway PostgreSQL cluster on 127.0.0.1 in a temp folder, builds, runs each
# test project, stops and removes the cluster, and ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"

log() { printf '[test.sh] %s\n' "$*" >&2; }

# Debian packages the tests need, installed when missing; the package lists are fetched once per run.
apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then
        apt-get update -qq || return 1
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v dotnet >/dev/null 2>&1; then
    log "the .NET SDK (dotnet) is not on PATH; this project needs .NET 10"
    exit 2
fi

# --- PostgreSQL: the store of a multi-node cluster; the tests start their own throwaway instance -----------
pg_bin=""
find_pg() { pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1); }
find_pg
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    log "installing the PostgreSQL server (Debian package postgresql)"
    apt_install postgresql || log "could not install postgresql"
    find_pg
fi

# --- OpenStack clients: fabric-api's tests drive the real `openstack` CLI (python-cyborgclient) and openstacksdk -------
if [ ! -x /usr/bin/openstack ] || ! /usr/bin/python3 -c 'import openstack, cyborgclient' >/dev/null 2>&1; then
    log "installing the OpenStack clients (Debian packages python3-openstackclient python3-cyborgclient python3-openstacksdk)"
    apt_install python3-openstackclient python3-cyborgclient python3-openstacksdk || log "could not install the OpenStack clients; fabric-api's client tests will be skipped"
fi

# --- Keystone: fabric-api's --auth keystone tests start a real one (SQLite, under uWSGI) on 127.0.0.1 ------------
if [ ! -x /usr/bin/keystone-manage ] || [ ! -x /usr/bin/uwsgi ] || [ ! -f /usr/lib/uwsgi/plugins/python3_plugin.so ]; then
    log "installing Keystone (Debian packages keystone uwsgi-core uwsgi-plugin-python3)"
    apt_install keystone uwsgi-core uwsgi-plugin-python3 || log "could not install keystone; fabric-api's Keystone tests will be skipped"
fi

# --- DPDK: the cryptodev g-drivers' shim builds against it and their tests run its software PMDs ------------
# libdpdk-dev brings the PMDs the tests use (librte-crypto-openssl23, librte-crypto-ipsec-mb23, librte-compress-isal23,
# librte-compress-zlib23); dpdk-dev has dpdk-test-crypto-perf / -compress-perf for fabric-bench; gcc builds the shim.
if ! pkg-config --exists libdpdk 2>/dev/null; then
    log "installing DPDK (Debian packages dpdk-dev dpdk pkg-config gcc)"
    apt_install dpdk-dev dpdk pkg-config gcc || log "could not install DPDK; the DPDK tests will fail saying so"
fi

# --- QEMU and the test guest: the vhost-user virtio-crypto test boots a real VM (TCG without /dev/kvm) --------
# The guest (scripts/guest-image.sh) is Debian's kernel package unpacked (never installed), busybox-static, and a
# static AF_ALG program; cpio/gzip pack its initramfs, objcopy (binutils) reads the kernel modules' dependencies.
vhost_packages=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || vhost_packages+=(qemu-system-x86)
case "$(LC_ALL=C ldd /bin/busybox 2>&1 || true)" in *"not a dynamic"*) ;; *) vhost_packages+=(busybox-static) ;; esac
for tool in cpio gzip objcopy; do command -v "$tool" >/dev/null 2>&1 || vhost_packages+=("$([ "$tool" = objcopy ] && echo binutils || echo "$tool")"); done
dpkg -s libc6-dev >/dev/null 2>&1 || vhost_packages+=(libc6-dev)
if [ ${#vhost_packages[@]} -gt 0 ]; then
    log "installing QEMU and the guest image's tools (Debian packages ${vhost_packages[*]})"
    apt_install "${vhost_packages[@]}" || log "could not install ${vhost_packages[*]}; the vhost QEMU test will fail saying so"
fi
# guest-image.sh downloads linux-image-amd64's kernel package: without package lists (exit 2) they are fetched once.
log "building the test guest if needed (scripts/guest-image.sh data/guest)"
if ! scripts/guest-image.sh data/guest >/dev/null; then
    if [ -z "$apt_updated" ] && apt-get update -qq; then
        apt_updated=1
        scripts/guest-image.sh data/guest >/dev/null || log "the guest image could not be built; the vhost QEMU test will fail saying so"
    else
        log "the guest image could not be built; the vhost QEMU test will fail saying so"
    fi
fi

pg_dir=""
lane_pid=""
# Every process under a pid (the background test lane and the dotnet processes it started), deepest first.
descendants() {
    local child
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        descendants "$child"
        echo "$child"
    done
}
cleanup() {
    if [ -n "$lane_pid" ]; then
        kill $(descendants "$lane_pid") "$lane_pid" 2>/dev/null || true
    fi
    if [ -n "$pg_dir" ] && [ -d "$pg_dir" ]; then
        runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$pg_dir"
    fi
}
# A stopped run stops: the handler alone would clean up and then go on with the next test project.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] && id postgres >/dev/null 2>&1; then
    pg_dir=$(mktemp -d /tmp/fabric-pg.XXXXXX)
    chown postgres "$pg_dir"
    pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust >"$pg_dir/initdb.log" 2>&1 \
        && runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
            -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
        && runuser -u postgres -- psql -h 127.0.0.1 -p "$pg_port" -U postgres -q -c "CREATE ROLE fabric LOGIN PASSWORD 'fabric'" \
            -c "CREATE DATABASE fabric_test OWNER fabric" >"$pg_dir/psql.log" 2>&1; then
        export FABRIC_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Database=fabric_test;Username=fabric;Password=fabric"
        log "throwaway PostgreSQL on 127.0.0.1:$pg_port ($pg_dir)"
    else
        log "PostgreSQL could not be started; its tests will be skipped (see $pg_dir)"
        cat "$pg_dir"/*.log >&2 || true
    fi
else
    log "no PostgreSQL server here; its tests will be skipped"
fi

# --- build and test ----------------------------------------------------------------------------------------
log "building"
if ! dotnet build Fabric.sln -c Release -nologo -v quiet; then
    log "build failed"
    echo "0 passed, 1 failed"
    exit 1
fi

# Two lanes run side by side (most tests wait on processes, clusters and timeouts, not on the CPU): the whole run stays
# well under 30 minutes on a 2-core machine. FABRIC_TEST_LANES=1 runs one project after another. Projects that share
# the throwaway PostgreSQL database (Control, Vim) are in the same lane. Each project's output is printed whole when it
# ends, so the log reads one project at a time.
lane_a=(Fabric.Node.Tests Fabric.Api.Tests Fabric.Dataplane.Tests Fabric.Guest.Tests)
lane_b=(Fabric.Control.Tests Fabric.Cmd.Tests Fabric.IntegrationTests Fabric.Vim.Tests)
results=$(mktemp -d /tmp/fabric-tests.XXXXXX)

run_project() {
    local name=$1
    local project="tests/$name/$name.csproj"
    local started=$SECONDS
    dotnet test "$project" -c Release --no-build -nologo --blame-hang-timeout 10m >"$results/$name.out" 2>&1
    {
        printf '[test.sh] %s (%d s):\n' "$name" $((SECONDS - started))
        cat "$results/$name.out"
    } >&2
    grep -E '(Passed|Failed)!\s+- Failed:' "$results/$name.out" | tail -n 1 >"$results/$name.summary"
}

run_lane() {
    for name in "$@"; do
        run_project "$name"
    done
}

listed=" ${lane_a[*]} ${lane_b[*]} "
for project in tests/*/*.csproj; do
    name=$(basename "$project" .csproj)
    # A test project added without a lane still runs (in lane b).
    [[ "$listed" == *" $name "* ]] || lane_b+=("$name")
done

log "running the tests (lanes: ${lane_a[*]} | ${lane_b[*]})"
if [ "${FABRIC_TEST_LANES:-2}" = 1 ]; then
    run_lane "${lane_a[@]}" "${lane_b[@]}"
else
    run_lane "${lane_a[@]}" &
    lane_pid=$!
    run_lane "${lane_b[@]}"
    wait "$lane_pid"
fi

passed=0
failed=0
skipped=0
for name in "${lane_a[@]}" "${lane_b[@]}"; do
    summary=$(cat "$results/$name.summary" 2>/dev/null)
    if [ -z "$summary" ]; then
        log "$name: the test run ended without a summary (crash or hang)"
        failed=$((failed + 1))
    else
        log "$name: $summary"
        f=$(sed -E 's/.*Failed:\s*([0-9]+).*/\1/' <<<"$summary")
        p=$(sed -E 's/.*Passed:\s*([0-9]+).*/\1/' <<<"$summary")
        s=$(sed -E 's/.*Skipped:\s*([0-9]+).*/\1/' <<<"$summary")
        passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    fi
done
rm -rf "$results"

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
