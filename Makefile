# ogi: GNU make. `make` builds build/ogid and build/ogi; `make run` and
# `make check` are the two commands of README.md.

PKGS      = libevent libevent_openssl jansson sqlite3 libcrypto libssl
CC       ?= cc
CFLAGS   ?= -O2 -g
WARN      = -std=c11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
            -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
            -Wno-unused-parameter -Wvla -Wimplicit-fallthrough
DEFS      = -D_GNU_SOURCE
# lib/store_ckpt.c runs checkpoints on a thread: every build, every link.
THREADS   = -pthread
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
SAN       = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

PREFIX   ?= /usr/local
DESTDIR  ?=

LIB_SRC    = $(sort $(wildcard lib/*.c))
DAEMON_SRC = $(sort $(wildcard daemon/*.c))
CLIENT_SRC = $(sort $(wildcard clients/*.c))
UNIT_SRC   = $(sort $(wildcard tests/unit/test_*.c))

# Two trees: build/ (release) and build/san/ (sanitizers, for make check).
define tree
$(1)/lib/%.o: lib/%.c lib/*.h | deps-ok
	@mkdir -p $$(@D)
	$$(CC) $$(WARN) $$(DEFS) $$(THREADS) $(2) $$(PKG_CFLAGS) -c $$< -o $$@
$(1)/daemon/%.o: daemon/%.c daemon/*.h lib/*.h | deps-ok
	@mkdir -p $$(@D)
	$$(CC) $$(WARN) $$(DEFS) $$(THREADS) $(2) $$(PKG_CFLAGS) -c $$< -o $$@
$(1)/clients/%.o: clients/%.c clients/*.h lib/*.h | deps-ok
	@mkdir -p $$(@D)
	$$(CC) $$(WARN) $$(DEFS) $$(THREADS) $(2) $$(PKG_CFLAGS) -c $$< -o $$@
$(1)/tests/%.o: tests/%.c tests/unit/*.h lib/*.h | deps-ok
	@mkdir -p $$(@D)
	$$(CC) $$(WARN) $$(DEFS) $$(THREADS) $(2) $$(PKG_CFLAGS) -c $$< -o $$@
$(1)/holidays.o: $(1)/holidays.c
	$$(CC) $$(WARN) $(2) -c $$< -o $$@
$(1)/holidays.c: data/holidays-cn.txt
	@mkdir -p $$(@D)
	{ echo '/* generated from data/holidays-cn.txt */'; \
	  echo 'const char cal_builtin_text[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$$$/\\n"/' $$<; \
	  echo ';'; } > $$@
$(1)/libogi.a: $(patsubst %.c,$(1)/%.o,$(LIB_SRC)) $(1)/holidays.o
	rm -f $$@ && ar rcs $$@ $$^
$(1)/ogid: $(patsubst %.c,$(1)/%.o,$(DAEMON_SRC)) $(1)/libogi.a
	$$(CC) $(2) $$(THREADS) -o $$@ $$^ $$(PKG_LIBS) -lm
$(1)/ogi: $(patsubst %.c,$(1)/%.o,$(CLIENT_SRC)) $(1)/libogi.a
	$$(CC) $(2) $$(THREADS) -o $$@ $$^ $$(PKG_LIBS) -lm
$(1)/tests/unit/%: $(1)/tests/unit/%.o $(1)/libogi.a
	$$(CC) $(2) $$(THREADS) -o $$@ $$^ $$(PKG_LIBS) -lm
# jw_json is checked against jansson's json_dumps: one of the three daemon/
# files a unit test links (they need only libogi.a's log and xmalloc).
$(1)/tests/unit/test_jsonw.o: daemon/jsonw.h
$(1)/tests/unit/test_jsonw: $(1)/tests/unit/test_jsonw.o $(1)/daemon/jsonw.o $(1)/libogi.a
	$$(CC) $(2) $$(THREADS) -o $$@ $$^ $$(PKG_LIBS) -lm
# peers: counting connections per address.
$(1)/tests/unit/test_peers.o: daemon/peers.h
$(1)/tests/unit/test_peers: $(1)/tests/unit/test_peers.o $(1)/daemon/peers.o $(1)/libogi.a
	$$(CC) $(2) $$(THREADS) -o $$@ $$^ $$(PKG_LIBS) -lm
# jr_loadb is checked against jansson's json_loadb the same way.
$(1)/tests/unit/test_jsonr.o: daemon/jsonr.h tests/fuzz/jsonr_check.h
$(1)/tests/unit/test_jsonr: $(1)/tests/unit/test_jsonr.o $(1)/daemon/jsonr.o $(1)/daemon/jsonw.o $(1)/libogi.a
	$$(CC) $(2) $$(THREADS) -o $$@ $$^ $$(PKG_LIBS) -lm
endef

.PHONY: all run check deps deps-ok unit integration clean install bench bench-full format stress
.SECONDARY:

all: build/ogid build/ogi

$(eval $(call tree,build,$(CFLAGS)))
$(eval $(call tree,build/san,-O1 -g $(SAN)))

# deps: install exactly the missing Debian packages when root, else say how.
deps:
	@sh tests/deps.sh

deps-ok:
	@pkg-config --exists $(PKGS) || sh tests/deps.sh

VAR = var
run:
	@sh tests/deps.sh build
	@$(MAKE) --no-print-directory all
	@mkdir -p $(VAR)
	@if [ ! -f $(VAR)/ogi.db ]; then \
	  umask 077; build/ogid init --db $(VAR)/ogi.db > $(VAR)/admin.token.tmp && \
	  mv $(VAR)/admin.token.tmp $(VAR)/admin.token && chmod 600 $(VAR)/admin.token && \
	  echo "ogi: created $(VAR)/ogi.db; the first admin token is in $(VAR)/admin.token"; \
	fi
	@echo "ogi: try: OGI_TOKEN=\$$(cat $(VAR)/admin.token) build/ogi call system.health"
	@echo "ogi: running build/ogid --db $(VAR)/ogi.db on 127.0.0.1:7420 (Ctrl-C stops it)"
	@exec build/ogid --db $(VAR)/ogi.db --listen 127.0.0.1:7420 $$([ $$(id -u) = 0 ] && echo --allow-root)

SAN_BINS  = build/san/ogid build/san/ogi
UNIT_BINS = $(patsubst tests/unit/%.c,build/san/tests/unit/%,$(UNIT_SRC))

check: deps
	@$(MAKE) --no-print-directory $(SAN_BINS) $(UNIT_BINS)
	@OGID_ALLOW_ROOT=1 OGID_VIEW_CHECK=1 OGID=build/san/ogid OGI=build/san/ogi sh tests/run.sh $(UNIT_BINS)

bench: deps all
	@$(MAKE) --no-print-directory -C bench

# A million applications; generating them takes minutes (kept for the day).
bench-full: deps all
	@$(MAKE) --no-print-directory -C bench full

clean:
	rm -rf build

format:
	clang-format -i lib/*.[ch] daemon/*.[ch] clients/*.[ch] tests/unit/*.[ch] \
	  tests/fuzz/*.c bench/*.c

# Units under PREFIX (systemd reads /usr/local/lib/systemd/system too);
# the unit and the man page name the installed ogid.
UNITDIR ?= $(PREFIX)/lib/systemd/system

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin \
	  $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)/etc/ogi
	install -m 755 build/ogid $(DESTDIR)$(PREFIX)/sbin/ogid
	install -m 755 build/ogi $(DESTDIR)$(PREFIX)/bin/ogi
	sed 's|/usr/local/sbin/ogid|$(PREFIX)/sbin/ogid|g' man/ogid.8 \
	  > $(DESTDIR)$(PREFIX)/share/man/man8/ogid.8
	chmod 644 $(DESTDIR)$(PREFIX)/share/man/man8/ogid.8
	install -m 644 man/ogi.1 $(DESTDIR)$(PREFIX)/share/man/man1/ogi.1
	sed 's|/usr/local/sbin/ogid|$(PREFIX)/sbin/ogid|g' systemd/ogid.service \
	  > $(DESTDIR)$(UNITDIR)/ogid.service
	chmod 644 $(DESTDIR)$(UNITDIR)/ogid.service
	install -m 644 systemd/ogid.socket $(DESTDIR)$(UNITDIR)/
	install -m 644 systemd/ogid.conf.example $(DESTDIR)/etc/ogi/ogid.conf.example

# ---- reliability: fuzzing and stress (tests/fuzz, tests/stress) ----
# `make fuzz` builds the libFuzzer harnesses (clang) into build/fuzz/;
# `make stress` runs each for FUZZ_TIME seconds, then the disk-full,
# hostile-scale and long crash tests and two integration files under
# valgrind (tests/stress/run.sh). Neither is part of `make check`.
FUZZ_CC    = clang
FUZZ_TIME ?= 60
FUZZ_SAN   = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined
FUZZ_CFLAGS = $(WARN) $(DEFS) $(THREADS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(PKG_CFLAGS)
FUZZ_OBJFLAGS = $(FUZZ_CFLAGS)
FUZZ_LIB   = $(patsubst %.c,build/fuzz/%.o,$(LIB_SRC)) build/fuzz/holidays.o
FUZZ_RPC   = $(patsubst %.c,build/fuzz/%.o,$(filter-out daemon/main.c \
             daemon/server.c daemon/conn.c,$(DAEMON_SRC)))
FUZZ_BINS  = build/fuzz/fuzz_rpc build/fuzz/fuzz_cal build/fuzz/fuzz_json

.PHONY: fuzz
fuzz: $(FUZZ_BINS)

build/fuzz/lib/%.o: lib/%.c lib/*.h | deps-ok
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_OBJFLAGS) -c $< -o $@
build/fuzz/daemon/%.o: daemon/%.c daemon/*.h lib/*.h | deps-ok
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_OBJFLAGS) -c $< -o $@
build/fuzz/tests/%.o: tests/fuzz/%.c tests/fuzz/*.h daemon/*.h lib/*.h | deps-ok
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@
build/fuzz/holidays.o: build/holidays.c
	$(FUZZ_CC) $(WARN) $(FUZZ_SAN) -c $< -o $@
build/fuzz/fuzz_rpc: build/fuzz/tests/fuzz_rpc.o $(FUZZ_RPC) $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_SAN) $(THREADS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lm
build/fuzz/fuzz_cal: build/fuzz/tests/fuzz_cal.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_SAN) $(THREADS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lm
build/fuzz/fuzz_json: build/fuzz/tests/fuzz_json.o build/fuzz/daemon/jsonr.o build/fuzz/daemon/jsonw.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_SAN) $(THREADS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lm

stress: all fuzz
	@FUZZ_TIME=$(FUZZ_TIME) sh tests/stress/run.sh
