#!/usr/bin/env bash
# A real gitolite behind its own sshd on 127.0.0.1, with tagguard as gitolite's common
# pre-receive and post-receive hooks. For tagguard's gitolite tests; run as root.
#
#   .ci/gitolite-setup.sh DIR
#
# Creates (or resets) the system user tgsrv with home /var/lib/tagguard-gitolite, one repo
# `snapshots` where alice and mallory both have RW+ (gitolite lets both delete tags; tagguard's
# policy lets only alice delete v*-prod* tags), and leaves in DIR: the ssh keys admin, alice
# and mallory, ssh_config (Host admin/alice/mallory), sshd/sshd.pid. Stop it with
# `kill "$(cat DIR/sshd/sshd.pid)"`; a setup that fails stops the sshd it started.
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin  # useradd, usermod and sshd live there; a user's PATH may lack them

dir=$(realpath -m "$1")
src=$(cd "$(dirname "$0")/.." && pwd)/src
user=tgsrv
home=/var/lib/tagguard-gitolite

fail() { echo "gitolite-setup: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || fail "must run as root (it creates a user and starts sshd)"
for tool in gitolite /usr/sbin/sshd ssh ssh-keygen /usr/bin/python3; do
    command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install -y gitolite3 openssh-server python3)"
done

# The gitolite user: a fresh home each time; '*' instead of '!' so sshd does not see a locked account.
id "$user" >/dev/null 2>&1 || useradd --system --home-dir "$home" --shell /bin/sh "$user"
usermod -p '*' "$user"
rm -rf "$home"
mkdir -p "$home/bin" "$home/local/hooks/common" "$dir"

# tagguard for the gitolite user: this checkout's source, run by the system python.
mkdir -p "$home/lib"
cp -r "$src/tagguard" "$home/lib/"
find "$home/lib" -name __pycache__ -prune -exec rm -rf {} +
cat > "$home/bin/tagguard" <<EOF
#!/bin/sh
PYTHONPATH=$home/lib exec /usr/bin/python3 -m tagguard "\$@"
EOF
chmod 755 "$home/bin/tagguard"

# gitolite runs every hook in LOCAL_CODE/hooks/common for every repo; it owns `update`.
for hook in pre-receive post-receive; do
    PYTHONPATH=$src /usr/bin/python3 -c 'import sys; from tagguard.hookfiles.launcher import command_launcher
from tagguard.server.hookscripts import hook_script
print(hook_script(sys.argv[1], command_launcher(sys.argv[2])), end="")' "$hook" "$home/bin/tagguard" \
        > "$home/local/hooks/common/$hook"
    chmod 755 "$home/local/hooks/common/$hook"
done
cat > "$home/policy.toml" <<'EOF'
[[protect]]
pattern = "v*-prod*"
allow_delete = ["alice"]
EOF

for who in admin alice mallory; do
    rm -f "$dir/$who" "$dir/$who.pub"
    ssh-keygen -q -t ed25519 -N '' -C "$who" -f "$dir/$who"
done
cp "$dir/admin.pub" "$home/admin.pub"
chown -R "$user:" "$home"
as_git() { su -s /bin/sh "$user" -c "cd && $*"; }
as_git gitolite setup -pk admin.pub >"$dir/gitolite-setup.log" 2>&1

sed -i -e 's|# *LOCAL_CODE *=> *"$ENV{HOME}/local",|LOCAL_CODE => "$ENV{HOME}/local",|' \
       -e "s|GIT_CONFIG_KEYS *=> *'',|GIT_CONFIG_KEYS => 'tagguard\\\\.policy',|" "$home/.gitolite.rc"
grep -q '^ *LOCAL_CODE => ' "$home/.gitolite.rc" || fail "could not enable LOCAL_CODE in .gitolite.rc"
cp "$dir/alice.pub" "$dir/mallory.pub" "$home/.gitolite/keydir/"
cat > "$home/.gitolite/conf/gitolite.conf" <<EOF
repo gitolite-admin
    RW+ = admin
repo snapshots
    RW+ = alice mallory
    config tagguard.policy = $home/policy.toml
EOF
chown -R "$user:" "$home"
as_git gitolite setup >>"$dir/gitolite-setup.log" 2>&1

# sshd on a free port of 127.0.0.1, with its own host key and config. It runs in the foreground
# (-D) in the background of this script, so its pid is known at once: a failed setup stops it
# (the EXIT trap); after a setup that worked, the caller stops it with the pid in sshd/sshd.pid.
mkdir -p "$dir/sshd" /run/sshd
rm -f "$dir/sshd/host_key" "$dir/sshd/host_key.pub" "$dir/sshd/sshd.pid"
ssh-keygen -q -t ed25519 -N '' -f "$dir/sshd/host_key"
sshd_pid=
stop_sshd_on_failure() {
    status=$?
    if [ "$status" != 0 ] && [ -n "$sshd_pid" ]; then kill "$sshd_pid" 2>/dev/null || true; fi
    exit "$status"
}
trap stop_sshd_on_failure EXIT
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for attempt in 1 2 3 4 5; do  # another program may take the free port before sshd binds it
    port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat > "$dir/sshd/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/sshd/host_key
PidFile none
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowUsers $user
EOF
    /usr/sbin/sshd -D -f "$dir/sshd/sshd_config" -E "$dir/sshd/log" </dev/null >/dev/null 2>&1 &
    sshd_pid=$!
    echo "$sshd_pid" > "$dir/sshd/sshd.pid"
    deadline=$((SECONDS + 20))
    until listening "$port" || ! kill -0 "$sshd_pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.05; done
    listening "$port" && break
    kill "$sshd_pid" 2>/dev/null || true
    wait "$sshd_pid" 2>/dev/null || true
    sshd_pid=
    echo "gitolite-setup: sshd did not listen on 127.0.0.1:$port (attempt $attempt; see $dir/sshd/log)" >&2
done
[ -n "$sshd_pid" ] || fail "sshd never listened (see $dir/sshd/log)"

{
    for who in admin alice mallory; do printf 'Host %s\n    IdentityFile %s/%s\n' "$who" "$dir" "$who"; done
    cat <<EOF
Host *
    HostName 127.0.0.1
    Port $port
    User $user
    IdentitiesOnly yes
    BatchMode yes
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    LogLevel ERROR
EOF
} > "$dir/ssh_config"

# Listening is not answering yet: ask gitolite itself, again for a while, before giving up.
deadline=$((SECONDS + 20))
until info=$(ssh -F "$dir/ssh_config" alice info 2>"$dir/ssh-info.err") && [[ $info == *snapshots* ]]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "alice can't reach gitolite over ssh: $(cat "$dir/ssh-info.err") (see $dir/sshd/log)"
    sleep 0.1
done
echo "gitolite-setup: gitolite on 127.0.0.1:$port, sshd pid $sshd_pid, ssh config $dir/ssh_config"
