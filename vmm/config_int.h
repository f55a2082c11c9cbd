/* Shared by the configuration parser's files (vmm/config_*.c); not an interface. */
#ifndef VMM_CONFIG_INT_H
#define VMM_CONFIG_INT_H

#include <keel/config.h>

#define CONFIG_TOKENS_MAX 8
#define CONFIG_ECHO_MAX   48 /* characters of a token quoted back in a message */
#define CONFIG_REGION_USAGE \
	"ADDR SIZE incore DEVICE|forward MODEL [irq PIN]|posted MODEL [irq PIN]|passthrough|none"

/* A word or a quoted string (s/len: between the quotes, escapes still in). */
struct config_tok {
	const char *s;
	u32 len;
	bool quoted;
};

/* printf arguments for a token in a message: "'%.*s'". */
#define TOK(t) (int)MIN((t)->len, CONFIG_ECHO_MAX), (t)->s

enum config_sec { SEC_NONE, SEC_PLATFORM, SEC_PARTITION, SEC_SKIP };

struct config_ctx {
	struct keel_config *c;
	struct config_problems *pr;
	u32 line;
	u8 sec;                       /* enum config_sec */
	struct config_partition *p;   /* the current partition (SEC_PARTITION) */
	const char *field;            /* the key being handled, for messages */
	u32 ntok;
	struct config_tok tok[CONFIG_TOKENS_MAX];
};

/* config_lex.c: problems, tokens, numbers, names. */
void config_problem(struct config_problems *pr, u32 line, const char *fmt, ...) __printf(3, 4);
/* "partition 'P': FIELD: msg" (pname NULL: "platform: FIELD: msg"; field NULL: no field). */
void config_perr(struct config_problems *pr, u32 line, const char *pname, const char *field,
		 const char *fmt, ...) __printf(5, 6);
/* config_perr on the current line with the current block and key. */
void config_err(struct config_ctx *x, const char *fmt, ...) __printf(2, 3);
int config_tokenize(struct config_ctx *x, const char *s, size_t len);
int config_number(struct config_ctx *x, const struct config_tok *t, bool suffix, u64 *out);
bool config_tok_is(const struct config_tok *t, const char *word);
/* Index of the token in names[], or a reported problem and -EINVAL. */
int config_choice(struct config_ctx *x, const struct config_tok *t, const char *const *names, u32 n);
bool config_name_ok(const struct config_tok *t);
bool config_module_ok(const struct config_tok *t);
void config_copy(char *dst, size_t size, const char *src, size_t len);

/* config_keys.c and config_region.c: one handler per key. */
void config_key_platform_cpus(struct config_ctx *x);
void config_key_ring(struct config_ctx *x);
void config_key_ring_timeout(struct config_ctx *x);
void config_key_ring_notify(struct config_ctx *x);
void config_key_console_first(struct config_ctx *x);
void config_key_console_escape(struct config_ctx *x);
void config_key_kind(struct config_ctx *x);
void config_key_cpus(struct config_ctx *x);
void config_key_memory(struct config_ctx *x);
void config_key_image(struct config_ctx *x);
void config_key_initrd(struct config_ctx *x);
void config_key_entry(struct config_ctx *x);
void config_key_args(struct config_ctx *x);
void config_key_unbacked(struct config_ctx *x);
void config_key_console(struct config_ctx *x);
void config_key_region(struct config_ctx *x);
/* Adds the UART a partition's `console` key stands for, once its block is complete. */
void config_console_region(struct config_problems *pr, struct config_partition *p);

/* config_valid.c and config_host.c. */
bool config_overlap(u64 a, u64 asize, u64 b, u64 bsize);
const char *config_region_field(const struct config_region *r);
void config_region_desc(char *buf, size_t size, const struct config_region *r);
void config_valid_cpus(const struct keel_config *c, struct config_problems *pr,
		       const struct config_machine *m);
void config_valid_modules(const struct keel_config *c, struct config_problems *pr,
			  const struct config_machine *m);
void config_valid_host(const struct keel_config *c, struct config_problems *pr,
		       const struct config_machine *m);

/* Names shared by the parser and config_dump. */
extern const char *const config_kind_names[2];
extern const char *const config_entry_names[4];
extern const char *const config_unbacked_names[3];
extern const char *const config_console_names[3];
extern const char *const config_handler_names[5];

#endif
