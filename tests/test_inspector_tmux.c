/*
 * The real omnizip-inspect in a real terminal: tmux on a private socket,
 * keys by send-keys, screens by capture-pane. Skipped when tmux is absent.
 * Every test kills its tmux server, and the live test unlinks its ring.
 */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "telemetry.h"

static char sock[64];

static const char *build(void)
{
    const char *b = getenv("OMNIZIP_BUILD");
    return b && b[0] ? b : "build";
}

static int tmux(const char *fmt, ...)
{
    char args[1024], cmd[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "tmux -L %s %s >/dev/null 2>&1", sock, args);
    return system(cmd);
}

static void setup(void)
{
    if (system("tmux -V >/dev/null 2>&1") != 0)
        cr_skip_test("tmux is not installed: terminal tests skipped");
    snprintf(sock, sizeof(sock), "oz-inspect-%d", (int)getpid());
}

static void teardown(void)
{
    if (!sock[0])
        return;
    tmux("kill-server");
    /* tmux leaves its socket file behind once the server is gone. */
    const char *tmp = getenv("TMUX_TMPDIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/tmux-%d/%s", tmp && tmp[0] ? tmp : "/tmp", (int)getuid(),
             sock);
    unlink(path);
}

static void start(const char *args)
{
    char cwd[512];
    cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
    cr_assert_eq(tmux("new-session -d -x 120 -y 40 -c %s 'exec %s/omnizip-inspect %s'", cwd,
                      build(), args),
                 0, "tmux new-session failed");
}

static void capture(char *out, size_t size)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "tmux -L %s capture-pane -p 2>/dev/null", sock);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, size - 1, p) : 0;
    out[n] = '\0';
    if (p)
        pclose(p);
}

static void nap(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Waits up to 5 s for text on the screen; leaves the screen in out. */
static int wait_for(const char *text, char *out, size_t size)
{
    for (int i = 0; i < 100; i++) {
        capture(out, size);
        if (strstr(out, text))
            return 1;
        nap(50);
    }
    return 0;
}

static int window_rows(const char *screen)
{
    int rows = 0;
    for (const char *s = screen; s; s = strchr(s, '\n')) {
        if (*s == '\n')
            s++;
        int idx, used = 0;
        if ((s[0] == ' ' || s[0] == '>') && sscanf(s + 1, "%4d %*d/%*d [%n", &idx, &used) == 1 &&
            used > 0)
            rows++;
    }
    return rows;
}

static int gone(void)
{
    for (int i = 0; i < 60; i++) {
        if (tmux("has-session") != 0)
            return 1;
        nap(50);
    }
    return 0;
}

TestSuite(tmux, .init = setup, .fini = teardown, .timeout = 60);

Test(tmux, replay_shows_rows_resizes_and_quits)
{
    static char s[1 << 16];
    start("--replay tests/traces/ten.jsonl");
    cr_assert(wait_for(">   9 ", s, sizeof(s)), "replay did not reach window 9:\n%s", s);
    cr_expect_eq(window_rows(s), 10, "screen:\n%s", s);
    cr_expect(strstr(s, "10/10 windows") && strstr(s, "F10 Quit"), "%s", s);

    tmux("resize-window -x 50 -y 12");
    cr_expect(wait_for("F1 Help", s, sizeof(s)), "%s", s);
    nap(200);
    capture(s, sizeof(s));
    cr_expect(strstr(s, "too small") == NULL, "50x12 is big enough:\n%s", s);
    cr_expect_gt(window_rows(s), 0, "%s", s);

    tmux("resize-window -x 30 -y 8");
    cr_expect(wait_for("terminal too small", s, sizeof(s)), "%s", s);
    cr_expect_eq(tmux("has-session"), 0, "survives a tiny terminal");

    tmux("resize-window -x 120 -y 40");
    cr_expect(wait_for(">   9 ", s, sizeof(s)), "redraws when it grows:\n%s", s);

    tmux("send-keys q");
    cr_expect(gone(), "q quits");
}

Test(tmux, help_overlay_and_keys)
{
    static char s[1 << 16];
    start("--replay tests/traces/sixty.jsonl --speed 1000");
    cr_assert(wait_for(">  59 ", s, sizeof(s)), "%s", s);
    tmux("send-keys ?");
    cr_expect(wait_for("Help: keys", s, sizeof(s)), "%s", s);
    cr_expect(strstr(s, "q F10") && strstr(s, "pause / resume"), "help built from the table");
    tmux("send-keys x");
    cr_expect(wait_for(">  59 ", s, sizeof(s)), "any key closes help:\n%s", s);
    cr_expect(strstr(s, "Help: keys") == NULL);
    tmux("send-keys g");
    cr_expect(wait_for(">   0 ", s, sizeof(s)), "g goes to the first window:\n%s", s);
    tmux("send-keys j j");
    cr_expect(wait_for(">   2 ", s, sizeof(s)), "j moves down:\n%s", s);
    tmux("send-keys Enter");
    cr_expect(wait_for("window 2 (guided)", s, sizeof(s)), "Enter opens the detail:\n%s", s);
    tmux("send-keys Escape");
    nap(300);
    tmux("send-keys ' '");
    cr_expect(wait_for("PAUSED", s, sizeof(s)), "%s", s);
    tmux("send-keys F10");
    cr_expect(gone(), "F10 quits");
}

Test(tmux, sigterm_restores_and_exits)
{
    static char s[1 << 16];
    start("--replay tests/traces/ten.jsonl");
    cr_assert(wait_for("F10 Quit", s, sizeof(s)), "%s", s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "tmux -L %s display -p '#{pane_pid}'", sock);
    FILE *p = popen(cmd, "r");
    int pid = 0;
    cr_assert(p && fscanf(p, "%d", &pid) == 1 && pid > 0);
    pclose(p);
    kill(pid, SIGTERM);
    cr_expect(gone(), "SIGTERM ends the inspector");
}

static struct omnizip_window_info record(uint32_t i)
{
    struct omnizip_window_info w;
    memset(&w, 0, sizeof(w));
    w.struct_size = sizeof(w);
    w.index = i;
    w.audio_in = 50;
    w.audio_kept = 20 + i;
    w.video_in = 72;
    w.video_kept = 30;
    w.s_a = (double)w.audio_kept / 50;
    w.base_rate = w.rate = 0.5;
    w.guided = 1;
    return w;
}

Test(tmux, live_attach_follows_the_ring)
{
    static char s[1 << 16];
    struct omnizip_config c;
    memset(&c, 0, sizeof(c));
    c.struct_size = sizeof(c);
    c.rho_min = 0.35;
    c.rho_max = 0.75;
    c.g = 3;
    struct oz_telemetry *t = NULL;
    char err[256];
    cr_assert_eq(oz_telemetry_open(&t, &c, err, sizeof(err)), OMNIZIP_OK, "%s", err);
    oz_telemetry_plan(t, 8);
    for (uint32_t i = 0; i < 5; i++) {
        struct omnizip_window_info w = record(i);
        oz_telemetry_publish(t, &w);
    }
    char args[64];
    snprintf(args, sizeof(args), "--attach %d", (int)getpid());
    start(args);
    int seen = wait_for(">   4 ", s, sizeof(s));
    for (uint32_t i = 5; i < 8; i++) {
        struct omnizip_window_info w = record(i);
        oz_telemetry_publish(t, &w);
    }
    int more = wait_for(">   7 ", s, sizeof(s));
    int rows = window_rows(s);
    oz_telemetry_close(t);
    int ended = wait_for("ended", s, sizeof(s));
    tmux("send-keys q");
    cr_expect(seen, "the records already in the ring show");
    cr_expect(more, "new records show as they come:\n%s", s);
    cr_expect_eq(rows, 8);
    cr_expect(ended, "the end of the session shows:\n%s", s);
    cr_expect(strstr(s, "ENDED") != NULL && strstr(s, "ENDED") < strchr(s, '\n'),
              "the header says the session ended:\n%s", s);
    cr_expect(strstr(s, "8/8 windows") != NULL, "%s", s);
    cr_expect(gone());
}

Test(tmux, tune_changes_and_writes_profile)
{
    static char s[1 << 16];
    char cwd[512], dir[] = "/tmp/oz_tune_XXXXXX", args[1400], yaml[600];
    cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
    cr_assert_not_null(mkdtemp(dir));
    const char *b = build();
    snprintf(args, sizeof(args),
             "--tune %s/tests/data/paper45.safetensors --plugin %s%s%s/libomnizip.so", cwd,
             b[0] == '/' ? "" : cwd, b[0] == '/' ? "" : "/", b);
    cr_assert_eq(tmux("new-session -d -x 120 -y 30 -c %s 'exec %s/%s/omnizip-inspect %s'", dir,
                      b[0] == '/' ? "" : cwd, b, args),
                 0);
    int up = wait_for("[rho_audio 0.5]", s, sizeof(s));
    tmux("send-keys +");
    int changed = wait_for("[rho_audio 0.55]", s, sizeof(s));
    /* Tab to rho_video, Enter, type 0.65, Enter: the typed value is applied. */
    tmux("send-keys Tab Enter 0 . 6 5");
    int prompt = wait_for("rho_video: 0.65_", s, sizeof(s));
    tmux("send-keys Enter");
    int typed = wait_for("[rho_video 0.65]", s, sizeof(s));
    tmux("send-keys w");
    int asked = wait_for("write profile to (Enter: omnizip-tuned.yaml)", s, sizeof(s));
    tmux("send-keys Enter");
    int written = wait_for("profile written to", s, sizeof(s));
    tmux("send-keys q");
    snprintf(yaml, sizeof(yaml), "%s/omnizip-tuned.yaml", dir);
    FILE *f = fopen(yaml, "r");
    char text[1024] = "";
    size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    unlink(yaml);
    rmdir(dir);
    cr_expect(up, "tune screen:\n%s", s);
    cr_expect(changed, "+ raises rho_audio:\n%s", s);
    cr_expect(prompt, "Enter asks for a value:\n%s", s);
    cr_expect(typed, "the typed value is applied:\n%s", s);
    cr_expect(asked, "w proposes a path:\n%s", s);
    cr_expect(written, "w says where:\n%s", s);
    cr_expect(strstr(text, "rho_audio: 0.55\n") != NULL, "profile:\n%s", text);
    cr_expect(strstr(text, "rho_video: 0.65\n") != NULL, "profile:\n%s", text);
    cr_expect(gone());
}

/* The practitioner's loop: a profile extending paper-45 by name, 0.333
 * typed, written to --out; a second w asks before overwriting; q after a
 * write quits at once, q after a change asks. The written file keeps the
 * parent's keys, extends and description, and omnizip-run plans exactly
 * the totals the tune screen showed. */
Test(tmux, tune_round_trips_what_the_screen_shows)
{
    static char s[1 << 16];
    char cwd[512], dir[] = "/tmp/oz_round_XXXXXX", args[4000], path[600], out[600];
    cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/child.yaml", dir);
    snprintf(out, sizeof(out), "%s/tuned.yaml", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("description: \"paper-45, exact budget\"\nextends: paper-45\nnormalize: exact\n", f);
    fclose(f);
    const char *b = build();
    char bin[600];
    snprintf(bin, sizeof(bin), "%s%s%s", b[0] == '/' ? "" : cwd, b[0] == '/' ? "" : "/", b);
    snprintf(args, sizeof(args),
             "--tune %s/tests/data/paper45.safetensors --profile %s --out %s "
             "--plugin %s/libomnizip.so",
             cwd, path, out, bin);
    cr_assert_eq(tmux("new-session -d -x 120 -y 30 -c %s 'OMNIZIP_PROFILE_PATH=%s/profiles exec "
                      "%s/omnizip-inspect %s'",
                      dir, cwd, bin, args),
                 0);
    int up = wait_for("[rho_audio 0.3]", s, sizeof(s));
    int parent = strstr(s, "rho_video 0.6") && strstr(s, "normalize exact");
    tmux("send-keys Enter 0 . 3 3 3 Enter");
    int typed = wait_for("[rho_audio 0.333]", s, sizeof(s));
    long long ak = -1, ai = -1, vk = -1, vi = -1;
    const char *line = strstr(s, "kept: audio ");
    if (line)
        sscanf(line, "kept: audio %lld/%lld video %lld/%lld", &ak, &ai, &vk, &vi);
    tmux("send-keys w");
    int written = wait_for("profile written to", s, sizeof(s));
    tmux("send-keys w");
    int asks = wait_for("tuned.yaml exists: overwrite? (y/n)", s, sizeof(s));
    tmux("send-keys n");
    int kept = wait_for("not written", s, sizeof(s));
    tmux("send-keys Tab +");
    int moved = wait_for("[rho_video 0.65]", s, sizeof(s));
    tmux("send-keys q");
    int quit_asks = wait_for("unsaved changes", s, sizeof(s));
    tmux("send-keys y");
    int quit = gone();

    char yaml[2048] = "", cmd[4000], plan[4096] = "";
    f = fopen(out, "r");
    size_t n = f ? fread(yaml, 1, sizeof(yaml) - 1, f) : 0;
    yaml[n] = '\0';
    if (f)
        fclose(f);
    snprintf(cmd, sizeof(cmd),
             "OMNIZIP_PROFILE_PATH=%s/profiles %s/omnizip-run plan "
             "%s/tests/data/paper45.safetensors --profile %s --plugin %s/libomnizip.so 2>&1",
             cwd, bin, cwd, out, bin);
    FILE *p = popen(cmd, "r");
    n = p ? fread(plan, 1, sizeof(plan) - 1, p) : 0;
    plan[n] = '\0';
    if (p)
        pclose(p);
    long long pak = -2, pai = -2, pvk = -2, pvi = -2;
    const char *total = strstr(plan, "total: audio ");
    if (total)
        sscanf(total, "total: audio %lld/%lld kept (%*[^)]), video %lld/%lld", &pak, &pai, &pvk,
               &pvi);
    unlink(out);
    unlink(path);
    rmdir(dir);
    cr_expect(up && parent, "extends paper-45 resolved, its keys shown:\n%s", s);
    cr_expect(typed, "typed 0.333 shown as 0.333:\n%s", s);
    cr_expect(written && asks && kept, "w writes, then asks before overwriting:\n%s", s);
    cr_expect(moved && quit_asks && quit, "q with unsaved changes asks:\n%s", s);
    cr_expect(strstr(yaml, "rho_audio: 0.333\n"), "written:\n%s", yaml);
    cr_expect(strstr(yaml, "rho_video: 0.6\n") && strstr(yaml, "g: 3\n"), "parent keys:\n%s", yaml);
    cr_expect(strstr(yaml, "normalize: exact\n"), "modes:\n%s", yaml);
    cr_expect(strstr(yaml, "extends: \"paper-45\"\n"), "extends:\n%s", yaml);
    cr_expect(strstr(yaml, "description: \"paper-45, exact budget\"\n"), "description:\n%s", yaml);
    cr_expect(ak >= 0 && ak == pak && ai == pai && vk == pvk && vi == pvi,
              "screen audio %lld/%lld video %lld/%lld, plan with the file:\n%s", ak, ai, vk, vi,
              plan);
}

/* Screenshots at the three sizes a practitioner uses: every row's numbers
 * whole (a field that does not fit is dropped, never cut), the end of the
 * replay marked, R restarts it. */
Test(tmux, legible_at_120_100_and_80_columns)
{
    static char s[1 << 16];
    static const int size[3][2] = {{120, 40}, {100, 30}, {80, 24}};
    start("--replay tests/traces/ten.jsonl --speed 1000");
    for (int k = 0; k < 3; k++) {
        tmux("resize-window -x %d -y %d", size[k][0], size[k][1]);
        char want[32];
        snprintf(want, sizeof(want), "R restarts");
        int shown = wait_for(want, s, sizeof(s));
        nap(200);
        capture(s, sizeof(s));
        cr_expect(shown, "%dx%d: end of replay marked:\n%s", size[k][0], size[k][1], s);
        int rows = 0;
        for (char *line = s; line && *line;
             line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
            int idx, a, ain, used = 0;
            if ((line[0] == ' ' || line[0] == '>') &&
                sscanf(line + 1, "%4d %d/%d [%n", &idx, &a, &ain, &used) == 3 && used > 0) {
                rows++;
                cr_expect_eq(ain, 50, "%dx%d: audio column cut:\n%s", size[k][0], size[k][1], s);
                /* The video column, when shown, is whole: "NN/72". */
                char *slash = strrchr(line, '/');
                char *end = strchr(line, '\n');
                if (slash && (!end || slash < end) && slash > line + used)
                    cr_expect(strncmp(slash, "/72", 3) == 0, "%dx%d: video column cut:\n%s",
                              size[k][0], size[k][1], s);
            }
        }
        cr_expect_eq(rows, 10, "%dx%d: rows:\n%s", size[k][0], size[k][1], s);
    }
    /* Slowest speed (each '-' halves it, down to 1/8 window a second): after
     * R the replay starts again from nothing, without racing the clock. */
    tmux("send-keys - - - - - - - - - - - - - - R");
    int restarted = wait_for("no windows yet", s, sizeof(s));
    tmux("send-keys q");
    cr_expect(restarted, "R replays again:\n%s", s);
    cr_expect(gone());
}

/* Each baseline strategy is one keypress away in tune mode, at OmniZip's
 * budget: the totals line against the loaded profile stays +0. */
Test(tmux, tune_cycles_strategies_at_equal_budgets)
{
    static char s[1 << 16];
    char cwd[512], args[2000];
    cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
    const char *b = build();
    snprintf(args, sizeof(args),
             "--tune %s/tests/data/paper45.safetensors --task paper-45 "
             "--plugin %s%s%s/libomnizip.so",
             cwd, b[0] == '/' ? "" : cwd, b[0] == '/' ? "" : "/", b);
    cr_assert_eq(tmux("new-session -d -x 120 -y 30 -c %s 'OMNIZIP_PROFILE_PATH=%s/profiles exec "
                      "%s%s%s/omnizip-inspect %s'",
                      cwd, cwd, b[0] == '/' ? "" : cwd, b[0] == '/' ? "" : "/", b, args),
                 0);
    cr_assert(wait_for("[rho_audio 0.3]", s, sizeof(s)), "%s", s);
    tmux("send-keys Tab Tab Tab Tab Tab Tab Tab Tab");
    cr_assert(wait_for("[strategy omnizip]", s, sizeof(s)), "%s", s);
    static const char *const names[] = {"random", "uniform", "dycoke"};
    for (int i = 0; i < 3; i++) {
        char want[64];
        tmux("send-keys +");
        snprintf(want, sizeof(want), "[strategy %s]", names[i]);
        cr_expect(wait_for(want, s, sizeof(s)), "%s shown:\n%s", names[i], s);
        nap(200);
        capture(s, sizeof(s));
        cr_expect(strstr(s, "audio 375 -> 375 (+0)") && strstr(s, "video 276 -> 276 (+0)"),
                  "%s keeps OmniZip's totals:\n%s", names[i], s);
    }
    /* The plugin's list of strategies ends after dycoke: + wraps, - goes back. */
    tmux("send-keys +");
    cr_expect(wait_for("[strategy omnizip]", s, sizeof(s)), "wrapped to omnizip:\n%s", s);
    tmux("send-keys -");
    cr_expect(wait_for("[strategy dycoke]", s, sizeof(s)), "back to dycoke:\n%s", s);
    /* normalize has two choices: one step up from reference and back. */
    tmux("send-keys BTab BTab");
    cr_assert(wait_for("[normalize reference]", s, sizeof(s)), "%s", s);
    tmux("send-keys +");
    cr_expect(wait_for("[normalize exact]", s, sizeof(s)), "%s", s);
    tmux("send-keys +");
    cr_expect(wait_for("[normalize reference]", s, sizeof(s)), "%s", s);
    tmux("send-keys q");
    cr_expect(wait_for("unsaved changes", s, sizeof(s)), "%s", s);
    tmux("send-keys y");
    cr_expect(gone());
}
