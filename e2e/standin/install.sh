#!/bin/sh
# Stand-in for https://get.k3s.io used by the k3sup-pi e2e suite. It keeps
# the contract of the real installer (environment, files, units, scripts,
# symlinks, download and hash check) in a much smaller script.
set -e
set -o noglob

# As in k3s's install.sh (k3s-io/k3s, install.sh): progress and the URL being
# fetched go to stdout (info), the reason it stopped to stderr (fatal).
info() { echo '[INFO] ' "$@"; }
fatal() { echo '[ERROR] ' "$@" >&2; exit 1; }

# --- quote each argument for an ExecStart continuation line ---
quote_indent() {
    printf ' \\\n'
    for arg in "$@"; do
        printf '\t%s \\\n' "$(printf '%s\n' "$arg" | sed "s/'/'\\\\''/g;1s/^/'/;\$s/\$/'/")"
    done
}

setup_env() {
    case "$1" in
        -*|"")
            if [ -z "${K3S_URL}" ]; then
                CMD_K3S=server
            else
                if [ -z "${K3S_TOKEN}" ] && [ -z "${K3S_TOKEN_FILE}" ]; then
                    fatal "Defaulted k3s exec command to 'agent' because K3S_URL is defined, but K3S_TOKEN or K3S_TOKEN_FILE is not defined."
                fi
                CMD_K3S=agent
            fi
            ;;
        *) CMD_K3S=$1; shift ;;
    esac
    if [ -n "${K3S_URL}" ]; then
        case "${K3S_URL}" in
            https://*) ;;
            *) fatal "Only https:// URLs are supported for K3S_URL (have ${K3S_URL})" ;;
        esac
    fi
    CMD_K3S_EXEC="${CMD_K3S}$(quote_indent "$@")"
    if [ "${CMD_K3S}" = server ]; then SYSTEM_NAME=k3s; else SYSTEM_NAME=k3s-${CMD_K3S}; fi
    SUDO=sudo
    [ "$(id -u)" -eq 0 ] && SUDO=
    BIN_DIR=${INSTALL_K3S_BIN_DIR:-/usr/local/bin}
    SYSTEMD_DIR=${INSTALL_K3S_SYSTEMD_DIR:-/etc/systemd/system}
    SERVICE_K3S=${SYSTEM_NAME}.service
    FILE_K3S_SERVICE=${SYSTEMD_DIR}/${SERVICE_K3S}
    FILE_K3S_ENV=${SYSTEMD_DIR}/${SERVICE_K3S}.env
    UNINSTALL_K3S_SH=${BIN_DIR}/${SYSTEM_NAME}-uninstall.sh
    KILLALL_K3S_SH=${BIN_DIR}/k3s-killall.sh
    GITHUB_URL=${GITHUB_URL:-https://github.com/k3s-io/k3s/releases}
    INSTALL_K3S_CHANNEL_URL=${INSTALL_K3S_CHANNEL_URL:-https://update.k3s.io/v1-release/channels}
    INSTALL_K3S_CHANNEL=${INSTALL_K3S_CHANNEL:-stable}
}

setup_arch() {
    case "$(uname -m)" in
        amd64|x86_64) ARCH=amd64; SUFFIX= ;;
        arm64|aarch64) ARCH=arm64; SUFFIX=-${ARCH} ;;
        arm*) ARCH=arm; SUFFIX=-${ARCH}hf ;;
        *) fatal "Unsupported architecture $(uname -m)" ;;
    esac
}

# download fails like k3s's install.sh download(): a bare 'Download failed'
# on stderr; which URL failed is only in the info line printed before it.
download() {
    set +e
    if command -v curl >/dev/null 2>&1; then
        curl -o "$1" -sfL "$2"
    else
        wget -qO "$1" "$2"
    fi
    status=$?
    set -e
    [ "${status}" -eq 0 ] || fatal 'Download failed'
}

get_release_version() {
    if [ -n "${INSTALL_K3S_VERSION}" ]; then
        VERSION_K3S=${INSTALL_K3S_VERSION}
    else
        info "Finding release for channel ${INSTALL_K3S_CHANNEL}"
        version_url="${INSTALL_K3S_CHANNEL_URL}/${INSTALL_K3S_CHANNEL}"
        if command -v curl >/dev/null 2>&1; then
            VERSION_K3S=$(curl -w '%{url_effective}' -L -s -S "${version_url}" -o /dev/null | sed -e 's|.*/||')
        else
            VERSION_K3S=$(wget -SqO /dev/null "${version_url}" 2>&1 | grep -i Location | sed -e 's|.*/||')
        fi
        [ -n "${VERSION_K3S}" ] || fatal "Unable to resolve channel ${INSTALL_K3S_CHANNEL} at ${version_url}"
    fi
    info "Using ${VERSION_K3S} as release"
}

download_and_verify() {
    setup_arch
    get_release_version
    TMP_DIR=$(mktemp -d -t k3s-install.XXXXXXXXXX)
    trap 'rm -rf "${TMP_DIR}"' EXIT
    info "Downloading hash ${GITHUB_URL}/download/${VERSION_K3S}/sha256sum-${ARCH}.txt"
    download "${TMP_DIR}/k3s.hash" "${GITHUB_URL}/download/${VERSION_K3S}/sha256sum-${ARCH}.txt"
    # As k3s's install.sh download_hash(): under set -e a hash file without a
    # " k3s<suffix>" line ends the script here, exit 1 and no message at all.
    HASH_EXPECTED=$(grep " k3s${SUFFIX}$" "${TMP_DIR}/k3s.hash")
    HASH_EXPECTED=${HASH_EXPECTED%%[[:blank:]]*}
    if [ -x "${BIN_DIR}/k3s" ] && [ "$(sha256sum "${BIN_DIR}/k3s" | awk '{print $1}')" = "${HASH_EXPECTED}" ]; then
        info 'Skipping binary downloaded, installed k3s matches hash'
        return
    fi
    info "Downloading binary ${GITHUB_URL}/download/${VERSION_K3S}/k3s${SUFFIX}"
    download "${TMP_DIR}/k3s.bin" "${GITHUB_URL}/download/${VERSION_K3S}/k3s${SUFFIX}"
    info 'Verifying binary download'
    HASH_BIN=$(sha256sum "${TMP_DIR}/k3s.bin" | awk '{print $1}')
    [ "${HASH_EXPECTED}" = "${HASH_BIN}" ] || fatal "Download sha256 does not match ${HASH_EXPECTED}, got ${HASH_BIN}"
    info "Installing k3s to ${BIN_DIR}/k3s"
    chmod 755 "${TMP_DIR}/k3s.bin"
    $SUDO mkdir -p "${BIN_DIR}"
    $SUDO chown root:root "${TMP_DIR}/k3s.bin"
    $SUDO mv -f "${TMP_DIR}/k3s.bin" "${BIN_DIR}/k3s"
}

create_symlinks() {
    for cmd in kubectl crictl ctr; do
        if [ ! -e "${BIN_DIR}/${cmd}" ]; then
            which_cmd=$(command -v "${cmd}" 2>/dev/null || true)
            if [ -z "${which_cmd}" ] || [ "${INSTALL_K3S_SYMLINK}" = force ]; then
                info "Creating ${BIN_DIR}/${cmd} symlink to k3s"
                $SUDO ln -sf k3s "${BIN_DIR}/${cmd}"
            else
                info "Skipping ${BIN_DIR}/${cmd} symlink to k3s, command exists in PATH at ${which_cmd}"
            fi
        else
            info "Skipping ${BIN_DIR}/${cmd} symlink to k3s, already exists"
        fi
    done
}

create_killall() {
    info "Creating killall script ${KILLALL_K3S_SH}"
    $SUDO tee "${KILLALL_K3S_SH}" >/dev/null <<KILLALL
#!/bin/sh
[ \$(id -u) -eq 0 ] || exec sudo \$0 \$@
for service in ${SYSTEMD_DIR}/k3s*.service; do
    [ -s "\$service" ] && systemctl stop "\$(basename "\$service")"
done
for pid in \$(pidof k3s); do kill -9 "\$pid" 2>/dev/null || true; done
rm -rf /run/k3s /var/lib/rancher/k3s/data
exit 0
KILLALL
    $SUDO chmod 755 "${KILLALL_K3S_SH}"
}

create_uninstall() {
    info "Creating uninstall script ${UNINSTALL_K3S_SH}"
    $SUDO tee "${UNINSTALL_K3S_SH}" >/dev/null <<UNINSTALL
#!/bin/sh
set -x
[ \$(id -u) -eq 0 ] || exec sudo \$0 \$@
${KILLALL_K3S_SH}
systemctl disable ${SYSTEM_NAME} || true
systemctl reset-failed ${SYSTEM_NAME} || true
rm -f ${FILE_K3S_SERVICE} ${FILE_K3S_ENV}
systemctl daemon-reload
remove_uninstall() { rm -f ${UNINSTALL_K3S_SH}; }
trap remove_uninstall EXIT
if ls ${SYSTEMD_DIR}/k3s*.service >/dev/null 2>&1; then
    set +x; echo 'Additional k3s services installed, skipping uninstall of k3s'; set -x
    exit
fi
for cmd in kubectl crictl ctr; do
    if [ -L ${BIN_DIR}/\$cmd ]; then rm -f ${BIN_DIR}/\$cmd; fi
done
# k3s's uninstall script (install.sh create_uninstall) keeps /etc/rancher/node:
# the node password survives, so a re-install under the same name must match it.
rm -rf /etc/rancher/k3s /run/k3s /var/lib/rancher/k3s /var/lib/kubelet
rm -f ${BIN_DIR}/k3s ${KILLALL_K3S_SH}
UNINSTALL
    $SUDO chmod 755 "${UNINSTALL_K3S_SH}"
}

create_env_file() {
    info "env: Creating environment file ${FILE_K3S_ENV}"
    $SUDO touch "${FILE_K3S_ENV}"
    $SUDO chmod 0600 "${FILE_K3S_ENV}"
    sh -c export | while read -r _ v; do echo "$v"; done | grep -E '^(K3S|CONTAINERD)_' | $SUDO tee "${FILE_K3S_ENV}" >/dev/null || true
    sh -c export | while read -r _ v; do echo "$v"; done | grep -Ei '^(NO|HTTP|HTTPS)_PROXY' | $SUDO tee -a "${FILE_K3S_ENV}" >/dev/null || true
}

create_systemd_service_file() {
    info "systemd: Creating service file ${FILE_K3S_SERVICE}"
    $SUDO tee "${FILE_K3S_SERVICE}" >/dev/null <<SERVICE
[Unit]
Description=Lightweight Kubernetes
Documentation=https://k3s.io
Wants=network-online.target
After=network-online.target

[Install]
WantedBy=multi-user.target

[Service]
Type=notify
EnvironmentFile=-/etc/default/%N
EnvironmentFile=-/etc/sysconfig/%N
EnvironmentFile=-${FILE_K3S_ENV}
KillMode=process
Delegate=yes
User=root
LimitNOFILE=1048576
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
TimeoutStartSec=0
Restart=always
RestartSec=5s
ExecStartPre=-/sbin/modprobe br_netfilter
ExecStartPre=-/sbin/modprobe overlay
ExecStart=${BIN_DIR}/k3s \\
    ${CMD_K3S_EXEC}

SERVICE
}

installed_hashes() {
    $SUDO sha256sum "${BIN_DIR}/k3s" "${FILE_K3S_SERVICE}" "${FILE_K3S_ENV}" 2>&1 || true
}

service_enable_and_start() {
    [ "${INSTALL_K3S_SKIP_ENABLE}" = true ] && return
    info "systemd: Enabling ${SYSTEM_NAME} unit"
    $SUDO systemctl enable "${FILE_K3S_SERVICE}" >/dev/null
    $SUDO systemctl daemon-reload >/dev/null
    [ "${INSTALL_K3S_SKIP_START}" = true ] && return
    if [ "${PRE_INSTALL_HASHES}" = "$(installed_hashes)" ] && [ "${INSTALL_K3S_FORCE_RESTART}" != true ]; then
        info 'No change detected so skipping service start'
        return
    fi
    info "systemd: Starting ${SYSTEM_NAME}"
    $SUDO systemctl restart "${SYSTEM_NAME}"
}

{
    # shellcheck disable=SC2086 # INSTALL_K3S_EXEC is split into words on purpose
    set -- ${INSTALL_K3S_EXEC} "$@"
    setup_env "$@"
    command -v systemctl >/dev/null 2>&1 || fatal 'Can not find systemd to use as a process supervisor for k3s'
    if [ "${INSTALL_K3S_SKIP_DOWNLOAD}" = true ]; then
        info 'Skipping k3s download and verify'
        [ -x "${BIN_DIR}/k3s" ] || fatal "Executable k3s binary not found at ${BIN_DIR}/k3s"
    fi
    PRE_INSTALL_HASHES=$(installed_hashes)
    if [ "${INSTALL_K3S_SKIP_DOWNLOAD}" != true ]; then
        download_and_verify
    fi
    create_symlinks
    create_killall
    create_uninstall
    create_env_file
    create_systemd_service_file
    service_enable_and_start
}
