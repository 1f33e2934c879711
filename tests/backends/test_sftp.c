/*
 * test_sftp.c: the SFTP backend against a real OpenSSH sshd on 127.0.0.1
 * (started with sshd.sh, or the one in $DUET_SFTP_TEST_DIR): the
 * conformance suite, logins (key file, inline key, agent, password, wrong
 * password), host keys (mismatch, unknown with and without a file),
 * hostile and odd names, permission denied as an unprivileged user,
 * symlinks, options, and connections that die: sessions killed between
 * and during operations, the whole server gone mid-transfer. The server
 * is local, so the tests look at its files directly. Nothing is skipped.
 */
#define _GNU_SOURCE /* nftw, setenv */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backends/sftp/sftp.h"
#include "config/obscure.h"
#include "backends/sftp/sftp_int.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/remote.h"
#include "tests/backends/conformance.h"

#ifndef DUET_SFTP_SSHD_SH
#define DUET_SFTP_SSHD_SH NULL
#endif

static char g_srv[200];        /* the server's directory (keys, port) */
static char g_work[300];       /* this test's scratch directory on it */
static char g_script[PATH_MAX];
static char g_home[300];       /* $HOME for the tests: no ~/.ssh of ours */
static char g_user[64], g_pass[128], g_fp[128];
static int g_port, g_started, g_down; /* g_down: stopped by a test */
static uid_t g_uid;


static struct {
	int notices, errors;
	char notice[1024];
} g_log;

static void
capture(enum duet_log_level level, const char *object, const char *msg, void *ctx)
{
	(void)ctx;
	(void)object;
	if (level == DUET_LOG_NOTICE) {
		g_log.notices++;
		snprintf(g_log.notice, sizeof(g_log.notice), "%s", msg);
	} else if (level == DUET_LOG_ERROR) {
		g_log.errors++;
	}
}

static void
slurp(const char *path, char *out, size_t n)
{
	FILE *f = fopen(path, "r");
	out[0] = '\0';
	if (f != NULL && fgets(out, (int)n, f) != NULL)
		out[strcspn(out, "\n")] = '\0';
	if (f != NULL)
		fclose(f);
}

static int
run_script(const char *verb)
{
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), "sh '%s' %s '%s'", g_script, verb, g_srv);
	return system(cmd);
}

static void
read_server(void)
{
	char buf[64];
	slurp(strcat(strcpy((char[PATH_MAX]){0}, g_srv), "/port"), buf, sizeof(buf));
	g_port = atoi(buf);
}

/* g_work + "/" + rel in a ring of buffers. */
static const char *
W(const char *rel)
{
	static char ring[8][PATH_MAX];
	static int i;
	char *b = ring[i++ % 8];
	snprintf(b, PATH_MAX, "%s%s%s", g_work, rel[0] ? "/" : "", rel);
	return b;
}

/* A spec for root by key with the test's known_hosts, plus extra options. */
static const char *
spec(const char *extra, const char *path)
{
	static char b[4 * PATH_MAX];
	snprintf(b, sizeof(b), ":sftp,host=127.0.0.1,port=%d,user=root,key_file=%s/clientkey,"
	    "known_hosts_file=%s/known_hosts%s%s:%s", g_port, g_srv, g_srv, extra[0] ? "," : "",
	    extra, path);
	return b;
}

/* A spec with only the given options (host and port added). */
static const char *
spec_raw(const char *opts, const char *path)
{
	static char b[4 * PATH_MAX];
	snprintf(b, sizeof(b), ":sftp,host=127.0.0.1,port=%d,%s:%s", g_port, opts, path);
	return b;
}

/* A password as a remote option takes it: obscured, as in the config. */
static const char *
secret(const char *plain)
{
	static char buf[512];
	char *o = NULL;

	assert_int_equal(duet_obscure_hide(plain, &o), 0);
	snprintf(buf, sizeof(buf), "%s", o);
	duet_free(o);
	return buf;
}

static int
open_spec(const char *s, const struct duet_fs_opts *o, struct duet_fs **out)
{
	struct duet_remote r;
	int rc;
	*out = NULL;
	if ((rc = duet_remote_parse(s, NULL, NULL, &r)) != 0)
		return rc;
	rc = duet_sftp_backend.open(&r, o, out);
	duet_remote_dispose(&r);
	return rc;
}

static struct duet_fs *
must_open(const char *s, const struct duet_fs_opts *o)
{
	struct duet_fs *fs = NULL;
	int rc = open_spec(s, o, &fs);
	if (rc != 0)
		fail_msg("open %s: %s", s, duet_err_msg());
	return fs;
}

static void
put(const char *path, const char *data)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, strlen(data), f), strlen(data));
	assert_int_equal(fclose(f), 0);
}

static void
fs_put(struct duet_fs *fs, const char *path, const void *data, size_t n)
{
	struct duet_wstream *w = NULL;
	assert_int_equal(fs->ops->open_write(fs, path, (int64_t)n, &w), 0);
	assert_int_equal(w->ops->write(w, data, n), 0);
	assert_int_equal(w->ops->commit(w, 1600000000000000000LL), 0);
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	chmod(p, 0700);
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void
rm_rf(const char *dir)
{
	chmod(dir, 0700);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* --- processes of the server --- */

static pid_t
ppid_of(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	pid_t pp = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "PPid: %d", &pp) == 1)
			break;
	fclose(f);
	return pp;
}

/* SIGKILLs every descendant of the sshd listener (the sessions), not the
 * listener itself. Returns how many. */
static int
kill_sessions(void)
{
	char buf[32];
	pid_t top, p;
	int n = 0;
	DIR *d;
	struct dirent *de;

	slurp(strcat(strcpy((char[PATH_MAX]){0}, g_srv), "/sshd.pid"), buf, sizeof(buf));
	top = (pid_t)atoi(buf);
	assert_true(top > 1);
	assert_non_null(d = opendir("/proc"));
	while ((de = readdir(d)) != NULL) {
		pid_t pid = (pid_t)atoi(de->d_name);
		if (pid <= 1 || pid == top)
			continue;
		for (p = ppid_of(pid); p > 1 && p != top; p = ppid_of(p))
			;
		if (p == top && kill(pid, SIGKILL) == 0)
			n++;
	}
	closedir(d);
	usleep(100000); /* let the kernel close their sockets */
	return n;
}

/* --- setup --- */

static int
find_script(void)
{
	const char *env = getenv("DUET_SFTP_SSHD");
	const char *tries[3] = {env, DUET_SFTP_SSHD_SH, NULL};
	char here[1024];
	snprintf(here, sizeof(here), "%s", __FILE__);
	*(strrchr(here, '/') ? strrchr(here, '/') : here) = '\0';
	for (int i = 0; i < 4; i++) {
		if (i < 2 && tries[i] == NULL)
			continue;
		if (i < 2)
			snprintf(g_script, sizeof(g_script), "%s", tries[i]);
		else
			snprintf(g_script, sizeof(g_script), "%s%s", here[0] ? here : ".",
			    i == 2 ? "/sshd.sh" : "/../../backends/sftp/sshd.sh");
		if (access(g_script, R_OK) == 0)
			return 0;
	}
	return -1;
}

static int
group_setup(void **state)
{
	const char *env = getenv("DUET_SFTP_TEST_DIR");
	char cmd[2 * PATH_MAX], line[256];
	struct passwd *pw;
	FILE *f;

	(void)state;
	if (find_script() != 0) {
		fprintf(stderr, "test_sftp: sshd.sh not found (set DUET_SFTP_SSHD)\n");
		return -1;
	}
	if (env != NULL) {
		snprintf(g_srv, sizeof(g_srv), "%s", env);
	} else {
		snprintf(g_srv, sizeof(g_srv), "/tmp/duet-sftp-srv-XXXXXX");
		if (mkdtemp(g_srv) == NULL)
			return -1;
		if (run_script("start") != 0) {
			run_script("stop");
			rm_rf(g_srv);
			return -1;
		}
		g_started = 1;
	}
	read_server();
	slurp(strcat(strcpy((char[PATH_MAX]){0}, g_srv), "/user"), g_user, sizeof(g_user));
	slurp(strcat(strcpy((char[PATH_MAX]){0}, g_srv), "/password"), g_pass, sizeof(g_pass));
	if (g_port <= 0 || g_user[0] == '\0' || (pw = getpwnam(g_user)) == NULL)
		return -1;
	g_uid = pw->pw_uid;
	snprintf(cmd, sizeof(cmd), "ssh-keygen -lf '%s/hostkey_ed25519.pub'", g_srv);
	if ((f = popen(cmd, "r")) == NULL || fgets(line, sizeof(line), f) == NULL)
		return -1;
	pclose(f);
	sscanf(line, "%*d %127s", g_fp);
	snprintf(g_home, sizeof(g_home), "%s/home", g_srv);
	mkdir(g_home, 0755);
	setenv("HOME", g_home, 1);
	unsetenv("SSH_AUTH_SOCK");
	duet_log_set_sink(capture, NULL);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	duet_log_set_sink(NULL, NULL);
	if (g_started) {
		run_script("stop");
		rm_rf(g_srv);
	}
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(g_work, sizeof(g_work), "%s/work-XXXXXX", g_srv);
	if (mkdtemp(g_work) == NULL)
		return -1;
	chmod(g_work, 0755);
	memset(&g_log, 0, sizeof(g_log));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rm_rf(g_work);
	if (g_down && run_script("start") == 0) {
		read_server();
		g_down = 0;
	}
	return 0;
}

/* --- logins --- */

static void
t_login_key_and_pem(void **state)
{
	char pem[4096], esc[8192], opts[9000];
	struct duet_fs *fs;
	size_t n = 0;
	FILE *f;

	(void)state;
	fs = must_open(spec("", W("")), NULL);
	assert_int_equal(fs->precision, 1000000000);
	assert_true(fs->caps & DUET_CAP_MOVE);
	duet_fs_close(fs);
	/* key_pem: the key on one line with "\n" escapes, as rclone keeps it. */
	assert_non_null(f = fopen(strcat(strcpy((char[PATH_MAX]){0}, g_srv), "/clientkey"), "r"));
	pem[fread(pem, 1, sizeof(pem) - 1, f)] = '\0';
	fclose(f);
	for (const char *s = pem; *s != '\0'; s++)
		n += (size_t)snprintf(esc + n, sizeof(esc) - n, *s == '\n' ? "\\n" : "%c", *s);
	snprintf(opts, sizeof(opts), "user=root,key_pem=%s,known_hosts_file=%s/known_hosts", esc,
	    g_srv);
	fs = must_open(spec_raw(opts, W("")), NULL);
	duet_fs_close(fs);
}

static void
t_login_password(void **state)
{
	char opts[2048], dir[PATH_MAX];
	struct duet_fs *fs;
	struct stat st;

	(void)state;
	snprintf(dir, sizeof(dir), "%s", W("u"));
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chown(dir, g_uid, (gid_t)-1), 0);
	snprintf(opts, sizeof(opts), "user=%s,pass=%s,known_hosts_file=%s/known_hosts", g_user,
	    secret(g_pass), g_srv);
	fs = must_open(spec_raw(opts, dir), NULL);
	fs_put(fs, "by-password", "x", 1);
	duet_fs_close(fs);
	/* Written by the test user's session, not root's. */
	assert_int_equal(stat(W("u/by-password"), &st), 0);
	assert_int_equal(st.st_uid, g_uid);
}

static void
t_login_wrong_password(void **state)
{
	static const char bad[] = "Not-The-Password-42";
	char opts[2048];
	struct duet_fs *fs = NULL;
	int rc;

	(void)state;
	snprintf(opts, sizeof(opts), "user=%s,pass=%s,known_hosts_file=%s/known_hosts", g_user,
	    secret(bad), g_srv);
	rc = open_spec(spec_raw(opts, W("")), NULL, &fs);
	assert_int_equal(rc, DUET_E_AUTH);
	assert_null(fs);
	assert_int_equal(duet_err_code(), DUET_E_AUTH);
	assert_non_null(strstr(duet_err_msg(), "login"));
	assert_non_null(strstr(duet_err_msg(), g_user));
	assert_non_null(strstr(duet_err_msg(), "password"));
	assert_null(strstr(duet_err_msg(), bad));
	assert_false(duet_err_retryable(rc));
	/* A key the server does not know, and one that cannot be read. */
	snprintf(opts, sizeof(opts), "user=root,key_file=%s/hostkey_ed25519,known_hosts_file=%s/"
	    "known_hosts", g_srv, g_srv);
	assert_int_equal(open_spec(spec_raw(opts, W("")), NULL, &fs), DUET_E_AUTH);
	assert_non_null(strstr(duet_err_msg(), "refused the key"));
	snprintf(opts, sizeof(opts), "user=root,key_file=%s/nokey,known_hosts_file=%s/known_hosts",
	    g_srv, g_srv);
	assert_int_equal(open_spec(spec_raw(opts, W("")), NULL, &fs), DUET_E_AUTH);
	assert_non_null(strstr(duet_err_msg(), "nokey"));
}

/* An encrypted key (new OpenSSH format) with key_file_pass. */
static void
t_login_key_passphrase(void **state)
{
	char cmd[4096], opts[2048], keys[512], saved[512];
	struct duet_fs *fs = NULL;

	(void)state;
	snprintf(keys, sizeof(keys), "%s/authorized_keys", g_srv);
	snprintf(saved, sizeof(saved), "%s/authorized_keys.saved", g_work);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t ed25519 -N 'key-pass-1' -f '%s/enc' && "
	    "cp '%s' '%s' && cat '%s/enc.pub' >> '%s'", g_work, keys, saved, g_work, keys);
	assert_int_equal(system(cmd), 0);
	snprintf(opts, sizeof(opts), "user=root,key_file=%s/enc,key_file_pass=%s,"
	    "known_hosts_file=%s/known_hosts", g_work, secret("key-pass-1"), g_srv);
	fs = must_open(spec_raw(opts, W("")), NULL);
	duet_fs_close(fs);
	snprintf(opts, sizeof(opts), "user=root,key_file=%s/enc,key_file_pass=%s,"
	    "known_hosts_file=%s/known_hosts", g_work, secret("key-pass-2"), g_srv);
	assert_int_equal(open_spec(spec_raw(opts, W("")), NULL, &fs), DUET_E_AUTH);
	assert_null(strstr(duet_err_msg(), "key-pass"));
	assert_int_equal(rename(saved, keys), 0);
}

/* An ssh-agent of our own holding the client key. */
static void
t_login_agent(void **state)
{
	char sock[PATH_MAX], cmd[3 * PATH_MAX];
	struct duet_fs *fs = NULL;
	pid_t pid;
	int status, i;

	(void)state;
	snprintf(sock, sizeof(sock), "%s/agent.sock", g_work);
	if ((pid = fork()) == 0) {
		freopen("/dev/null", "w", stdout);
		execl("/usr/bin/ssh-agent", "ssh-agent", "-D", "-a", sock, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	for (i = 0; i < 100 && access(sock, F_OK) != 0; i++)
		usleep(20000);
	setenv("SSH_AUTH_SOCK", sock, 1);
	/* Empty agent: refused. */
	assert_int_equal(open_spec(spec_raw("user=root,key_use_agent=true", W("")), NULL, &fs),
	    DUET_E_AUTH);
	snprintf(cmd, sizeof(cmd), "ssh-add -q '%s/clientkey' 2>/dev/null", g_srv);
	assert_int_equal(system(cmd), 0);
	fs = must_open(spec_raw("user=root,key_use_agent=true", W("")), NULL);
	duet_fs_close(fs);
	/* Without pass or key, the agent is asked by default. */
	fs = must_open(spec_raw("user=root", W("")), NULL);
	duet_fs_close(fs);
	unsetenv("SSH_AUTH_SOCK");
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
}

/* --- host keys --- */

static void
t_hostkey_mismatch(void **state)
{
	char kh[PATH_MAX], cmd[3 * PATH_MAX], opts[PATH_MAX * 2];
	struct duet_fs *fs = NULL;

	(void)state;
	snprintf(kh, sizeof(kh), "%s/other_known_hosts", g_work);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t ed25519 -N '' -f '%s/otherkey' && "
	    "sed 's/^/[127.0.0.1]:%d /' '%s/otherkey.pub' > '%s'", g_work, g_port, g_work, kh);
	assert_int_equal(system(cmd), 0);
	snprintf(opts, sizeof(opts), "user=root,key_file=%s/clientkey,known_hosts_file=%s", g_srv,
	    kh);
	assert_int_equal(open_spec(spec_raw(opts, W("")), NULL, &fs), DUET_E_AUTH);
	assert_null(fs);
	assert_non_null(strstr(duet_err_msg(), "MISMATCH"));
	assert_non_null(strstr(duet_err_msg(), g_fp));
	/* The same wrong key in ~/.ssh/known_hosts, no known_hosts_file. */
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/.ssh' && cp '%s' '%s/.ssh/known_hosts'", g_home,
	    kh, g_home);
	assert_int_equal(system(cmd), 0);
	snprintf(opts, sizeof(opts), "user=root,key_file=%s/clientkey", g_srv);
	assert_int_equal(open_spec(spec_raw(opts, W("")), NULL, &fs), DUET_E_AUTH);
	assert_non_null(strstr(duet_err_msg(), g_fp));
	/* The right key there: accepted without a notice. */
	snprintf(cmd, sizeof(cmd), "cp '%s/known_hosts' '%s/.ssh/known_hosts'", g_srv, g_home);
	assert_int_equal(system(cmd), 0);
	g_log.notices = 0;
	fs = must_open(spec_raw(opts, W("")), NULL);
	duet_fs_close(fs);
	assert_int_equal(g_log.notices, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/.ssh'", g_home);
	assert_int_equal(system(cmd), 0);
}

static void
t_hostkey_unknown(void **state)
{
	char kh[PATH_MAX], opts[PATH_MAX * 2];
	struct duet_fs *fs = NULL;

	(void)state;
	/* A known_hosts_file that does not list the host: refused. */
	snprintf(kh, sizeof(kh), "%s/empty_known_hosts", g_work);
	put(kh, "# nothing\n");
	snprintf(opts, sizeof(opts), "user=root,key_file=%s/clientkey,known_hosts_file=%s", g_srv,
	    kh);
	assert_int_equal(open_spec(spec_raw(opts, W("")), NULL, &fs), DUET_E_AUTH);
	assert_non_null(strstr(duet_err_msg(), g_fp));
	assert_non_null(strstr(duet_err_msg(), "not in known_hosts_file"));
	/* No file and no ~/.ssh/known_hosts: accepted with one NOTICE. */
	snprintf(opts, sizeof(opts), "user=root,key_file=%s/clientkey", g_srv);
	g_log.notices = 0;
	fs = must_open(spec_raw(opts, W("")), NULL);
	fs_put(fs, "a", "1", 1);
	fs_put(fs, "b", "2", 1);
	duet_fs_close(fs);
	assert_int_equal(g_log.notices, 1);
	assert_non_null(strstr(g_log.notice, g_fp));
	assert_non_null(strstr(g_log.notice, "not verified"));
	/* A configured file that cannot be read is an error. */
	snprintf(opts, sizeof(opts), "user=root,key_file=%s/clientkey,known_hosts_file=%s/nofile",
	    g_srv, g_work);
	assert_int_equal(open_spec(spec_raw(opts, W("")), NULL, &fs), DUET_E_USAGE);
	assert_non_null(strstr(duet_err_msg(), "nofile"));
}

/* --- names --- */

static int
collect(void *ctx, const struct duet_entry *e)
{
	char *names = ctx;
	strcat(names, e->path);
	strcat(names, "|");
	return 0;
}

/* Names a hostile server could send go through sftp_list_entry, the
 * function every listed name passes (OpenSSH cannot send them). */
static void
t_hostile_names(void **state)
{
	static const struct {
		const char *n;
		size_t len;
	} bad[] = {{"a/b", 3}, {"x\0y", 3}, {"", 0}, {"../../etc", 9}, {"/", 1}};
	struct duet_fs *fs = must_open(spec("", W("")), NULL);
	LIBSSH2_SFTP_ATTRIBUTES a;
	struct sftp_listctx lc;
	char names[4096] = "";

	(void)state;
	memset(&a, 0, sizeof(a));
	a.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS | LIBSSH2_SFTP_ATTR_SIZE;
	a.permissions = LIBSSH2_SFTP_S_IFREG | 0644;
	lc = (struct sftp_listctx){(struct sftp_fs *)fs, "d", collect, names, 0};
	assert_int_equal(sftp_list_entry(&lc, "ok", 2, &a), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sftp_list_entry(&lc, bad[i].n, bad[i].len, &a), 0);
	assert_int_equal(sftp_list_entry(&lc, "..", 2, &a), 0); /* every dir has it */
	assert_int_equal(sftp_list_entry(&lc, ".", 1, &a), 0);
	assert_int_equal(sftp_list_entry(&lc, "new\nline", 8, &a), 0);
	assert_string_equal(names, "d/ok|d/new\nline|");
	assert_int_equal(lc.soft, DUET_E_BADNAME);
	assert_int_equal(g_log.errors, 5);
	duet_fs_close(fs);
}

/* The same through a real listing: the fake server on 127.0.0.2 (see
 * sshd.sh) sends them in a READDIR reply, and a name too long to read. */
static void
t_hostile_server(void **state)
{
	char s[1024], names[4096] = "";
	struct duet_fs *fs;

	(void)state;
	snprintf(s, sizeof(s), ":sftp,host=127.0.0.2,port=%d,user=root,key_file=%s/clientkey,"
	    "shell_type=none:/hostile", g_port, g_srv);
	fs = must_open(s, NULL);
	g_log.errors = 0;
	assert_int_equal(fs->ops->list(fs, "", collect, names), DUET_E_BADNAME);
	assert_string_equal(names, "ok|new\nline|");
	assert_int_equal(g_log.errors, 4);
	names[0] = '\0';
	assert_int_equal(fs->ops->list(fs, "long", collect, names), DUET_E_BADNAME);
	assert_non_null(strstr(duet_err_msg(), "4096"));
	assert_string_equal(names, "");
	duet_fs_close(fs);
}

/* Odd names made on the server's side are listed as they are, and hashed
 * through the shell without being taken as syntax. */
static void
t_odd_names_and_hash(void **state)
{
	static const char *const odd[] = {"new\nline", "it's", "$(touch pwned)", "`touch pwned`",
		"-n", "back\\slash", "a;b&c|d", "sp ace"};
	struct duet_fs *fs = must_open(spec("", W("")), NULL);
	struct duet_hashes h, want;
	struct duet_hasher *hs;
	char names[4096] = "", expect[4096] = "";
	size_t i;

	(void)state;
	assert_true(fs->hashes & DUET_HASH_BIT(DUET_HASH_MD5));
	assert_true(fs->hashes & DUET_HASH_BIT(DUET_HASH_SHA1));
	assert_true(fs->caps & DUET_CAP_SLOW_HASH);
	mkdir(W("d"), 0755);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", W("d"), odd[i]);
		put(p, odd[i]);
		assert_int_equal(fs->ops->hash(fs, strcat(strcpy((char[PATH_MAX]){0}, "d/"), odd[i]),
		                     DUET_HASH_MD5, &h), 0);
		assert_int_equal(duet_hasher_new(DUET_HASH_BIT(DUET_HASH_MD5), &hs), 0);
		duet_hasher_update(hs, odd[i], strlen(odd[i]));
		duet_hasher_final(hs, &want);
		duet_hasher_free(hs);
		assert_true(duet_hash_equal(&h, &want, DUET_HASH_MD5));
	}
	/* The commands run in the login's home: nothing was made there. */
	snprintf(expect, sizeof(expect), "%s/pwned", getpwnam("root")->pw_dir);
	assert_int_equal(access(expect, F_OK), -1);
	assert_int_equal(access(W("d/pwned"), F_OK), -1);
	assert_int_equal(fs->ops->list(fs, "d", collect, names), 0);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		snprintf(expect, sizeof(expect), "d/%s|", odd[i]);
		assert_non_null(strstr(names, expect));
	}
	/* A directory cannot be hashed. */
	assert_int_equal(fs->ops->hash(fs, "d", DUET_HASH_SHA1, &h), DUET_E_ISDIR);
	duet_fs_close(fs);
}

/* --- permissions, as the unprivileged test user --- */

static void
t_permission_denied(void **state)
{
	char opts[2048], dir[PATH_MAX];
	struct duet_rstream *r = NULL;
	struct duet_wstream *w = NULL;
	struct duet_entry e;
	struct duet_fs *fs;
	char names[256] = "";

	(void)state;
	snprintf(dir, sizeof(dir), "%s", W("u"));
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(mkdir(W("u/locked"), 0755), 0);
	put(W("u/locked/f"), "secret");
	put(W("u/unreadable"), "secret");
	assert_int_equal(chmod(W("u/unreadable"), 0), 0);
	assert_int_equal(chown(dir, g_uid, (gid_t)-1), 0);
	assert_int_equal(chmod(W("u/locked"), 0), 0);
	snprintf(opts, sizeof(opts), "user=%s,key_file=%s/clientkey,known_hosts_file=%s/known_hosts",
	    g_user, g_srv, g_srv);
	fs = must_open(spec_raw(opts, dir), NULL);
	assert_int_equal(fs->ops->list(fs, "locked", collect, names), DUET_E_PERM);
	assert_non_null(strstr(duet_err_msg(), "locked"));
	assert_int_equal(fs->ops->stat(fs, "locked/f", &e), DUET_E_PERM);
	assert_int_equal(fs->ops->open_write(fs, "locked/new", 1, &w), DUET_E_PERM);
	assert_non_null(strstr(duet_err_msg(), "locked/new"));
	assert_int_equal(fs->ops->open_read(fs, "unreadable", 0, &r), DUET_E_PERM);
	assert_non_null(strstr(duet_err_msg(), "unreadable"));
	assert_int_equal(fs->ops->mkdir(fs, "locked/sub"), DUET_E_PERM);
	duet_fs_close(fs);
	chmod(W("u/locked"), 0755);
}

/* --- links, roots, options --- */

static void
t_symlinks(void **state)
{
	struct duet_fs_opts o;
	struct duet_fs *fs;
	struct duet_entry e;
	char names[1024];

	(void)state;
	memset(&o, 0, sizeof(o));
	o.links = DUET_LINKS_FOLLOW;
	put(W("target"), "12345");
	assert_int_equal(symlink("target", W("link")), 0);
	assert_int_equal(symlink(".", W("loop")), 0);
	assert_int_equal(symlink("nowhere", W("broken")), 0);
	fs = must_open(spec("", W("")), NULL);
	names[0] = '\0';
	assert_int_equal(fs->ops->list(fs, "", collect, names), 0);
	assert_string_equal(names, "target|");
	assert_int_equal(g_log.notices, 3);
	assert_int_equal(fs->ops->stat(fs, "link", &e), DUET_E_NOTFOUND);
	duet_fs_close(fs);
	fs = must_open(spec("", W("")), &o);
	names[0] = '\0';
	assert_int_equal(fs->ops->list(fs, "", collect, names), 0);
	assert_non_null(strstr(names, "link|"));
	assert_null(strstr(names, "loop"));
	assert_null(strstr(names, "broken"));
	assert_int_equal(fs->ops->stat(fs, "link", &e), 0);
	assert_int_equal(e.size, 5);
	duet_fs_close(fs);
}

static void
t_root_is_file(void **state)
{
	struct duet_fs *fs;
	char names[256] = "";

	(void)state;
	put(W("only.txt"), "x");
	put(W("other.txt"), "y");
	fs = must_open(spec("", W("only.txt")), NULL);
	assert_non_null(fs->file);
	assert_string_equal(fs->file, "only.txt");
	assert_int_equal(fs->ops->list(fs, "", collect, names), 0);
	assert_non_null(strstr(names, "only.txt|"));
	duet_fs_close(fs);
	/* A missing root is made by the first write. */
	fs = must_open(spec("", W("new/root")), NULL);
	assert_non_null(strstr(fs->canon, "sftp:root@127.0.0.1:"));
	assert_non_null(strstr(fs->canon, "/new/root"));
	fs_put(fs, "f", "z", 1);
	duet_fs_close(fs);
	assert_int_equal(access(W("new/root/f"), F_OK), 0);
}

static void
t_options(void **state)
{
	struct duet_fs *fs = NULL;
	struct duet_entry e;
	struct stat st;

	(void)state;
	assert_int_equal(open_spec(":sftp,port=22:/x", NULL, &fs), DUET_E_USAGE);
	assert_int_equal(open_spec(":sftp,host=127.0.0.1,port=99999:/x", NULL, &fs), DUET_E_USAGE);
	assert_int_equal(open_spec(spec("idle_timeout=soon", W("")), NULL, &fs), DUET_E_USAGE);
	assert_int_equal(open_spec(spec("shell_type=fish", W("")), NULL, &fs), DUET_E_USAGE);
	fs = must_open(spec("shell_type=none", W("")), NULL);
	assert_int_equal(fs->hashes, 0);
	duet_fs_close(fs);
	fs = must_open(spec("disable_hashcheck=true", W("")), NULL);
	assert_int_equal(fs->hashes, 0);
	duet_fs_close(fs);
	fs = must_open(spec("md5sum_command=false", W("")), NULL);
	assert_int_equal(fs->hashes, DUET_HASH_BIT(DUET_HASH_SHA1));
	duet_fs_close(fs);
	/* set_modtime=false: no SETMTIME, and commits leave the server's time. */
	fs = must_open(spec("set_modtime=false", W("")), NULL);
	assert_false(fs->caps & DUET_CAP_SETMTIME);
	assert_null(fs->ops->set_mtime);
	fs_put(fs, "t", "x", 1);
	assert_int_equal(fs->ops->stat(fs, "t", &e), 0);
	assert_true(e.mtime > 1700000000000000000LL);
	duet_fs_close(fs);
	/* With it, seconds are kept. */
	fs = must_open(spec("", W("")), NULL);
	fs_put(fs, "t2", "x", 1);
	assert_int_equal(stat(W("t2"), &st), 0);
	assert_int_equal(st.st_mtime, 1600000000);
	duet_fs_close(fs);
	/* Connection refused: a network error naming the server. */
	assert_int_equal(open_spec(":sftp,host=127.0.0.1,port=1,user=root:/x", NULL, &fs),
	    DUET_E_NET);
	assert_non_null(strstr(duet_err_msg(), "127.0.0.1:1"));
}

/* The server's extensions are found, and without posix-rename commits
 * and moves still replace their targets (the rename-aside path). */
static void
t_rename_paths(void **state)
{
	struct duet_fs *fs = must_open(spec("", W("")), NULL);
	struct sftp_fs *sfs = (struct sftp_fs *)fs;
	char names[1024] = "";
	int pass;

	(void)state;
	assert_true(atomic_load(&sfs->ext) & SFTP_EXT_POSIX_RENAME);
	assert_true(atomic_load(&sfs->ext) & SFTP_EXT_COPY_DATA);
	assert_true(fs->caps & DUET_CAP_COPY);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			atomic_store(&sfs->ext, 0);
		fs_put(fs, "f", "old", 3);
		fs_put(fs, "f", "new!", 4);
		fs_put(fs, "g", "gg", 2);
		assert_int_equal(fs->ops->move(fs, "f", "g"), 0);
		names[0] = '\0';
		assert_int_equal(fs->ops->list(fs, "", collect, names), 0);
		assert_string_equal(names, "g|");
		assert_int_equal(access(W("f"), F_OK), -1);
		assert_int_equal(fs->ops->remove(fs, "g"), 0);
	}
	/* Only our own directory entries: no temp or aside names left. */
	assert_int_equal(rmdir(g_work), 0);
	assert_int_equal(mkdir(g_work, 0755), 0);
	duet_fs_close(fs);
}

/* --inplace: the final name is written directly; an aborted new file
 * is removed. */
static void
t_inplace(void **state)
{
	struct duet_fs_opts o;
	struct duet_wstream *w = NULL;
	struct duet_fs *fs;
	char names[256] = "";

	(void)state;
	memset(&o, 0, sizeof(o));
	o.inplace = 1;
	fs = must_open(spec("", W("")), &o);
	fs_put(fs, "f", "first", 5);
	fs_put(fs, "f", "2nd", 3);
	assert_int_equal(fs->ops->open_write(fs, "g", 4, &w), 0);
	assert_int_equal(w->ops->write(w, "gggg", 4), 0);
	assert_int_equal(access(W("g"), F_OK), 0); /* visible while written */
	w->ops->abort(w);
	assert_int_equal(fs->ops->list(fs, "", collect, names), 0);
	assert_string_equal(names, "f|");
	duet_fs_close(fs);
	FILE *f = fopen(W("f"), "r");
	assert_non_null(f);
	assert_non_null(fgets(names, sizeof(names), f));
	fclose(f);
	assert_string_equal(names, "2nd");
}

/* Pool of one connection: a stream open while other operations run. */
static void
t_one_connection(void **state)
{
	struct duet_fs *fs = must_open(spec("connections=1", W("")), NULL);
	struct duet_wstream *w = NULL;
	struct duet_rstream *r = NULL;
	struct duet_entry e;
	char names[256] = "", buf[8];

	(void)state;
	fs_put(fs, "a", "aaa", 3);
	assert_int_equal(fs->ops->open_read(fs, "a", 1, &r), 0);
	assert_int_equal(fs->ops->open_write(fs, "b", 2, &w), 0);
	assert_int_equal(w->ops->write(w, "bb", 2), 0);
	assert_int_equal(fs->ops->stat(fs, "a", &e), 0);
	assert_int_equal(fs->ops->list(fs, "", collect, names), 0);
	assert_string_equal(names, "a|");
	assert_int_equal(r->ops->read(r, buf, sizeof(buf)), 2);
	assert_int_equal(w->ops->commit(w, 0), 0);
	r->ops->close(r);
	assert_int_equal(((struct sftp_fs *)fs)->nconn, 1);
	duet_fs_close(fs);
}

/* The pool's size: --transfers/--checkers (o->parallel) unless the
 * remote says `connections`; capped. */
static void
t_pool_size(void **state)
{
	static const struct {
		const char *extra;
		int parallel, want;
	} c[] = {
		{"", 12, 12}, {"connections=2", 12, 2}, {"", 0, SFTP_DEFAULT_CONNS},
		{"", 1000, SFTP_MAX_CONNS}, {"connections=0", 3, SFTP_MAX_CONNS},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct duet_fs_opts o = {0};
		struct duet_fs *fs;

		o.parallel = c[i].parallel;
		fs = must_open(spec(c[i].extra, W("")), &o);
		assert_int_equal(((struct sftp_fs *)fs)->o.conns, c[i].want);
		duet_fs_close(fs);
	}
}

static void
t_idle_timeout(void **state)
{
	struct duet_fs *fs = must_open(spec("idle_timeout=200ms", W("")), NULL);
	struct sftp_fs *sfs = (struct sftp_fs *)fs;
	struct duet_entry e;
	int i, open = 1;

	(void)state;
	for (i = 0; i < 100 && open; i++) {
		usleep(50000);
		pthread_mutex_lock(&sfs->conns[0].mu);
		open = sfs->conns[0].ses != NULL;
		pthread_mutex_unlock(&sfs->conns[0].mu);
	}
	assert_false(open);
	assert_int_equal(fs->ops->stat(fs, "", &e), 0); /* reconnects */
	duet_fs_close(fs);
}

/* --- dying connections --- */

static void
t_sessions_killed(void **state)
{
	struct duet_fs *fs = must_open(spec("", W("")), NULL);
	size_t n = 3 * 1024 * 1024, got = 0;
	char *data = malloc(n), *back = malloc(n);
	struct duet_rstream *r = NULL;
	struct duet_entry e;
	ssize_t k;

	(void)state;
	assert_non_null(data);
	assert_non_null(back);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 7 + i / 1000);
	fs_put(fs, "big", data, n);
	/* Between operations: the next one reconnects and succeeds. */
	assert_true(kill_sessions() > 0);
	assert_int_equal(fs->ops->stat(fs, "big", &e), 0);
	assert_int_equal(e.size, (int64_t)n);
	/* During a read: the stream reopens at its offset. */
	assert_int_equal(fs->ops->open_read(fs, "big", 0, &r), 0);
	assert_int_equal(r->ops->read(r, back, 1000), 1000);
	got = 1000;
	assert_true(kill_sessions() > 0);
	while ((k = r->ops->read(r, back + got, n - got)) > 0)
		got += (size_t)k;
	assert_int_equal(k, 0);
	assert_int_equal(got, n);
	assert_memory_equal(back, data, n);
	r->ops->close(r);
	duet_fs_close(fs);
	free(data);
	free(back);
}

/* The server dies mid-upload: a clean failure, nothing under the final
 * name, and the temp file (left on the dead server) never listed. */
static void
t_server_killed_mid_transfer(void **state)
{
	struct duet_fs *fs = must_open(spec("", W("")), NULL);
	size_t n = 4 * 1024 * 1024;
	char *data = calloc(1, n), names[1024] = "";
	struct duet_wstream *w = NULL;
	struct duet_entry e;
	int rc;

	(void)state;
	assert_non_null(data);
	fs_put(fs, "keep", "old", 3);
	assert_int_equal(fs->ops->open_write(fs, "keep", (int64_t)n, &w), 0);
	assert_int_equal(w->ops->write(w, data, n / 2), 0);
	assert_true(kill_sessions() > 0);
	g_down = 1;
	assert_int_equal(run_script("stop"), 0);
	rc = w->ops->write(w, data + n / 2, n / 2);
	if (rc == 0)
		rc = w->ops->commit(w, 1600000000000000000LL);
	else
		w->ops->abort(w);
	assert_int_equal(rc, DUET_E_NET);
	assert_true(duet_err_retryable(rc));
	if (strstr(duet_err_msg(), "keep") == NULL)
		fail_msg("message \"%s\" does not name the file", duet_err_msg());
	rc = fs->ops->stat(fs, "keep", &e);
	assert_int_equal(rc, DUET_E_NET);
	/* The old content is intact; the new data is only in a temp file. */
	FILE *f = fopen(W("keep"), "r");
	char buf[8] = "";
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "old");
	/* Back up: the leftover temp file is not listed. */
	assert_int_equal(run_script("start"), 0);
	read_server();
	g_down = 0;
	duet_fs_close(fs);
	fs = must_open(spec("", W("")), NULL);
	assert_int_equal(fs->ops->list(fs, "", collect, names), 0);
	assert_string_equal(names, "keep|");
	duet_fs_close(fs);
	free(data);
}

/* --- conformance --- */

static char g_conf[300];

static int
conf_open(void *ctx, struct duet_fs **out)
{
	(void)ctx;
	snprintf(g_conf, sizeof(g_conf), "%s/conf-XXXXXX", g_srv);
	if (mkdtemp(g_conf) == NULL)
		return DUET_E_IO;
	return open_spec(spec("", g_conf), NULL, out);
}

static void
conf_cleanup(void *ctx)
{
	(void)ctx;
	rm_rf(g_conf);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(t_login_key_and_pem),
		T(t_login_password),
		T(t_login_wrong_password),
		T(t_login_key_passphrase),
		T(t_login_agent),
		T(t_hostkey_mismatch),
		T(t_hostkey_unknown),
		T(t_hostile_names),
		T(t_hostile_server),
		T(t_odd_names_and_hash),
		T(t_permission_denied),
		T(t_symlinks),
		T(t_root_is_file),
		T(t_options),
		T(t_rename_paths),
		T(t_inplace),
		T(t_one_connection),
		T(t_pool_size),
		T(t_idle_timeout),
		T(t_sessions_killed),
		T(t_server_killed_mid_transfer),
	};
	struct duet_conf_target t = {"sftp", conf_open, conf_cleanup, NULL};
	int failed;

	signal(SIGPIPE, SIG_IGN);
	if (group_setup(NULL) != 0) {
		fprintf(stderr, "test_sftp: cannot start or find the test sshd\n");
		return 1;
	}
	failed = cmocka_run_group_tests_name("sftp", tests, NULL, NULL);
	duet_log_set_sink(NULL, NULL);
	failed += duet_conformance_run(&t);
	group_teardown(NULL);
	return failed != 0;
}
