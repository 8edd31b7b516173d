#!/usr/bin/env bash
# Makes a development certificate for a Fabric cluster: a cluster CA and a certificate issued by it, packed with its
# key and the CA into a password-protected PKCS#12 file (.pfx) that fabric-node and the clients (fabric-vim,
# fabric-cmd, fabric-api) load with --tls-cert / --tls-password (or FABRIC_TLS_CERT / FABRIC_TLS_PASSWORD).
#
# Nothing is installed in any trust store: a Fabric process trusts exactly the CA inside its own .pfx, so a peer
# is accepted only with a certificate issued by that CA. Run it again with --name to issue another certificate
# (e.g. one per host) from the same CA; give --out a new folder for a new cluster (a new CA).
#
# For development and tests: the CA key sits unencrypted beside the certificates (mode 600). For production,
# issue the certificates from your own CA and keep its key elsewhere.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: scripts/dev-cert.sh [--out DIR] [--name NAME] [--password PW] [--days N] [--force]

  --out DIR        folder of the cluster's CA and certificates (default ./data/tls)
  --name NAME      file name and subject of the certificate (default fabric); the .pfx is DIR/NAME.pfx
  --password PW    password of the .pfx (default: a random one, written to DIR/NAME.pfx.password)
  --days N         validity in days (default 825)
  --force          replace DIR/NAME.pfx if it exists
EOF
}

out="./data/tls"
name="fabric"
password=""
days=825
force=0
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="${2:?--out needs a folder}"; shift 2 ;;
        --name) name="${2:?--name needs a name}"; shift 2 ;;
        --password) password="${2:?--password needs a value}"; shift 2 ;;
        --days) days="${2:?--days needs a number}"; shift 2 ;;
        --force) force=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "dev-cert: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

if ! command -v openssl >/dev/null 2>&1; then
    echo "dev-cert: openssl is not on PATH; install it (Debian: apt-get install openssl)" >&2
    exit 2
fi
case "$days" in ''|*[!0-9]*) echo "dev-cert: --days is a number of days; got '$days'" >&2; exit 2 ;; esac
case "$name" in ''|*[!A-Za-z0-9._-]*) echo "dev-cert: --name is letters, digits, '.', '_' or '-'; got '$name'" >&2; exit 2 ;; esac

umask 077
mkdir -p "$out"
pfx="$out/$name.pfx"
if [ -e "$pfx" ] && [ "$force" -eq 0 ]; then
    echo "dev-cert: $pfx exists; use it, or --force to replace it, or --name for another certificate" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The cluster CA: made once per folder, reused for every further certificate issued there.
if [ ! -f "$out/ca.key" ] || [ ! -f "$out/ca.pem" ]; then
    openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -days "$days" \
        -subj "/O=Fabric/CN=Fabric development cluster CA $(date -u +%Y%m%dT%H%M%SZ) $(openssl rand -hex 4)" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$out/ca.key" -out "$out/ca.pem" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
fi

# The certificate: a TLS server and client at once (a node accepts connections and opens them).
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 \
    -subj "/O=Fabric/CN=$name" -keyout "$work/key.pem" -out "$work/req.csr" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
cat >"$work/ext.cnf" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1
EOF
openssl x509 -req -in "$work/req.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" -CAcreateserial -sha256 -days "$days" \
    -extfile "$work/ext.cnf" -out "$work/cert.pem" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }

if [ -z "$password" ]; then
    password=$(openssl rand -hex 16)
    printf '%s\n' "$password" >"$out/$name.pfx.password"
    password_note="$out/$name.pfx.password"
else
    rm -f "$out/$name.pfx.password"
    password_note=""
fi
openssl pkcs12 -export -inkey "$work/key.pem" -in "$work/cert.pem" -certfile "$out/ca.pem" -name "$name" \
    -passout "pass:$password" -out "$pfx" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }

thumbprint=$(openssl x509 -in "$work/cert.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
ca_subject=$(openssl x509 -in "$out/ca.pem" -noout -subject | sed 's/^subject=//')
full=$(cd "$out" && pwd)/$name.pfx
echo "certificate: $full"
echo "  subject CN=$name, issued by: $ca_subject, valid $days days, SHA-1 thumbprint $thumbprint"
if [ -n "$password_note" ]; then
    echo "  password: in $password_note"
    pw_ref="\$(cat $(cd "$out" && pwd)/$name.pfx.password)"
else
    pw_ref="<the password you gave>"
fi
cat <<EOF
use it on every node and client of the cluster (a process trusts only certificates of this CA):
  export FABRIC_TLS_CERT=$full
  export FABRIC_TLS_PASSWORD=$pw_ref
  dotnet run --project src/Fabric.Node -- --hostname <this host's address> ...
  dotnet run --project src/Fabric.Vim -- device list          # fabric-cmd and fabric-api read the same variables
or pass --tls-cert $full --tls-password ... to each of them.
EOF
