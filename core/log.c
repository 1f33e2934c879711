/*
 * log.c: level filter, formatting and the sink mutex.
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static duet_log_sink log_sink;
static void *log_ctx;
static atomic_int log_level = DUET_LOG_NOTICE;
static atomic_long log_errors;

void
duet_log_set_sink(duet_log_sink sink, void *ctx)
{
	pthread_mutex_lock(&log_mu);
	log_sink = sink;
	log_ctx = ctx;
	pthread_mutex_unlock(&log_mu);
}

void
duet_log_set_level(enum duet_log_level level)
{
	atomic_store(&log_level, (int)level);
}

enum duet_log_level
duet_log_get_level(void)
{
	return (enum duet_log_level)atomic_load(&log_level);
}

int
duet_log_enabled(enum duet_log_level level)
{
	return (int)level <= atomic_load(&log_level);
}

static void
log_emit(enum duet_log_level level, const char *object, const char *fmt, va_list ap)
{
	char msg[2048];

	if (level == DUET_LOG_ERROR)
		atomic_fetch_add(&log_errors, 1);
	if (!duet_log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	pthread_mutex_lock(&log_mu);
	if (log_sink != NULL)
		log_sink(level, object, msg, log_ctx);
	else if (object != NULL)
		fprintf(stderr, "%s : %s: %s\n", duet_log_level_name(level), object, msg);
	else
		fprintf(stderr, "%s : %s\n", duet_log_level_name(level), msg);
	pthread_mutex_unlock(&log_mu);
}

void
duet_logo(enum duet_log_level level, const char *object, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit(level, object, fmt, ap);
	va_end(ap);
}

void
duet_log(enum duet_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit(level, NULL, fmt, ap);
	va_end(ap);
}

const char *
duet_log_level_name(enum duet_log_level level)
{
	switch (level) {
	case DUET_LOG_ERROR: return "ERROR";
	case DUET_LOG_NOTICE: return "NOTICE";
	case DUET_LOG_INFO: return "INFO";
	case DUET_LOG_DEBUG: return "DEBUG";
	}
	return "?";
}

int
duet_log_level_parse(const char *s)
{
	static const char *names[] = {"ERROR", "NOTICE", "INFO", "DEBUG"};
	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	return -1;
}

long
duet_log_error_count(void)
{
	return atomic_load(&log_errors);
}
