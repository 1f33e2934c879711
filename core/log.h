/*
 * log.h: the one logging path. Library code never prints; it calls
 * duet_log(), and cli/ installs the sink (stderr, --log-file, JSON).
 * Levels are rclone's. Thread-safe: the sink is called under a mutex.
 */
#ifndef DUET_CORE_LOG_H
#define DUET_CORE_LOG_H

enum duet_log_level {
	DUET_LOG_ERROR = 0,
	DUET_LOG_NOTICE = 1,
	DUET_LOG_INFO = 2,
	DUET_LOG_DEBUG = 3,
};

/*
 * A sink receives one finished message (no trailing newline), the object
 * it is about (a path, or NULL) and the level. Called under the log mutex.
 */
typedef void (*duet_log_sink)(enum duet_log_level level, const char *object,
    const char *msg, void *ctx);

void duet_log_set_sink(duet_log_sink sink, void *ctx);
void duet_log_set_level(enum duet_log_level level);
enum duet_log_level duet_log_get_level(void);
int duet_log_enabled(enum duet_log_level level);

/* Log about `object` (a path; may be NULL). */
void duet_logo(enum duet_log_level level, const char *object, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void duet_log(enum duet_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Name of a level as rclone prints it ("ERROR", "NOTICE", "INFO", "DEBUG"). */
const char *duet_log_level_name(enum duet_log_level level);
/* Parses "ERROR"/"NOTICE"/"INFO"/"DEBUG" (any case); -1 when unknown. */
int duet_log_level_parse(const char *s);

/* Counters of messages logged at ERROR and NOTICE since start. */
long duet_log_error_count(void);

#endif
