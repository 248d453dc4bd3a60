// SPDX-License-Identifier: Apache-2.0
// Issue 23 item 1: az's CLI conventions through the real `skiff` binary:
// output formats, --query, @FILE, --debug/--verbose/--only-show-errors,
// colour only on a terminal and never with NO_COLOR, shell completion.
#include <yaml-cpp/yaml.h>

#include "cli_harness.h"
#include "pty_run.h"
#include "yaml_special_strings.h"

namespace {

using skiff::testing::CliFixture;
using skiff::testing::Quote;
using skiff::testing::Result;
using skiff::testing::RunInPty;
using skiff::testing::SkiffBinary;
using skiff::testing::Slurp;
using skiff::testing::Spit;
using skiff::testing::YamlOtherTypeStrings;
using skiff::testing::YamlSyntaxStrings;

class CliConventions : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    Spit(Path("a.bin"), "aaa");
    Spit(Path("b.bin"), "bbbbb");
    ASSERT_EQ(Skiff({"model", "register", "-n", "alpha", "-p", Path("a.bin"), "--tag", "t=1"}).rc,
              0);
    ASSERT_EQ(Skiff({"model", "register", "-n", "beta", "-p", Path("b.bin")}).rc, 0);
  }
  std::string Line(const std::vector<std::string>& args) {
    std::string cmd = Quote(SkiffBinary()) + " -w " + Quote(dir_ + "/ws");
    for (const auto& a : args) cmd += " " + Quote(a);
    return cmd;
  }
};

TEST_F(CliConventions, OutputFormatsAsAz) {
  const auto json = Json({"model", "list", "-o", "json"});
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 2u);

  // jsonc piped: the same text as json, no escape codes.
  Result jsonc = Skiff({"model", "list", "-o", "jsonc"});
  ASSERT_EQ(jsonc.rc, 0) << jsonc.err;
  EXPECT_EQ(jsonc.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(jsonc.out), json);

  // yaml loads back to the same values.
  Result yaml = Skiff({"model", "list", "-o", "yaml"});
  ASSERT_EQ(yaml.rc, 0) << yaml.err;
  YAML::Node doc = YAML::Load(yaml.out);
  ASSERT_TRUE(doc.IsSequence()) << yaml.out;
  EXPECT_EQ(doc[0]["name"].as<std::string>(), json[0]["name"]);
  EXPECT_EQ(doc[0]["tags"]["t"].as<std::string>(), "1");  // quoted: stays a string
  EXPECT_EQ(doc[1]["sha256"].as<std::string>(), json[1]["sha256"]);

  // tsv: values only, tab-separated, one line per model, no header.
  Result tsv = Skiff({"model", "list", "-o", "tsv", "--query", "[].[name, version, sizeBytes]"});
  ASSERT_EQ(tsv.rc, 0) << tsv.err;
  EXPECT_EQ(tsv.out, "alpha\t1\t3\nbeta\t1\t5\n");

  Result none = Skiff({"model", "list", "-o", "none"});
  EXPECT_EQ(none.rc, 0);
  EXPECT_EQ(none.out, "");

  Result bad = Skiff({"model", "list", "-o", "xml"});
  EXPECT_EQ(bad.rc, 2) << bad.err;
}

// A usage error reads as az's: "skiff: error: <what>", then where the
// refusing command's usage is; exit 2. (CLI11's own text had no prefix and
// no command.)
TEST_F(CliConventions, UsageErrorsNameTheProblemAndTheCommandAsAz) {
  Result extra = Skiff({"service", "list", "--bogus"});
  EXPECT_EQ(extra.rc, 2);
  EXPECT_EQ(extra.err,
            "skiff: error: The following argument was not expected: --bogus\n"
            "See `skiff service list --help` for its usage.\n");
  Result missing = Skiff({"model", "register", "-p", Path("a.bin")});
  EXPECT_EQ(missing.rc, 2);
  EXPECT_EQ(missing.err,
            "skiff: error: --name is required\nSee `skiff model register --help` for its usage.\n");
  Result format = Skiff({"model", "list", "-o", "xml"});
  EXPECT_EQ(format.rc, 2);
  EXPECT_EQ(format.err.rfind("skiff: error: --output: xml not in", 0), 0u) << format.err;
  EXPECT_NE(format.err.find("See `skiff model list --help`"), std::string::npos) << format.err;
}

// az takes --output and --query on every command. A command without a
// result (delete, detach, get-logs) must not refuse them, and prints its
// confirmation only in the table format: `-o json` output stays parseable.
TEST_F(CliConventions, EveryCommandTakesOutputAsAz) {
  Result quiet = Skiff({"model", "delete", "-m", "beta:1", "-o", "json"});
  ASSERT_EQ(quiet.rc, 0) << quiet.err;
  EXPECT_EQ(quiet.out, "");
  Result table = Skiff({"model", "delete", "-m", "alpha:1"});
  ASSERT_EQ(table.rc, 0) << table.err;
  EXPECT_EQ(table.out, "deleted model 'alpha:1'\n");
  EXPECT_EQ(Json({"model", "list", "-o", "json"}).size(), 0u);

  // Accepted, so the command runs and answers "not found" (3), not a usage error (2).
  Result gone = Skiff({"service", "delete", "-n", "no-such", "-o", "none"});
  EXPECT_EQ(gone.rc, 3) << gone.err;
  Result logs = Skiff({"service", "get-logs", "-n", "no-such", "-o", "json", "--query", "x"});
  EXPECT_EQ(logs.rc, 3) << logs.err;
  Result detach = Skiff({"computetarget", "detach", "-n", "no-such", "-o", "tsv"});
  EXPECT_EQ(detach.rc, 3) << detach.err;
  // A bad format is still a usage error.
  Result bad = Skiff({"service", "delete", "-n", "no-such", "-o", "xml"});
  EXPECT_EQ(bad.rc, 2) << bad.err;
}

// `-o yaml` keeps every string a string: the core's one quoting rule
// (skiff/yaml/json_to_yaml.h), through the real binary, for tag values and
// keys that YAML would read as another type or that hold YAML syntax.
TEST_F(CliConventions, YamlOutputLoadsBackEveryStringUnchanged) {
  std::vector<std::string> args = {"model", "register", "-n", "gamma", "-p", Path("a.bin")};
  std::vector<std::pair<std::string, bool>> values;  // value, must be quoted
  for (const std::string& s : YamlOtherTypeStrings()) values.emplace_back(s, true);
  for (const std::string& s : YamlSyntaxStrings()) values.emplace_back(s, false);
  for (size_t i = 0; i < values.size(); ++i) {
    args.insert(args.end(), {"--tag", "t" + std::to_string(i) + "=" + values[i].first});
  }
  for (const char* key : {"yes", "0x1F", "~", "a: b"}) {
    args.insert(args.end(), {"--tag", std::string(key) + "=k"});
  }
  ASSERT_EQ(Skiff(args).rc, 0);
  Result yaml = Skiff({"model", "show", "-n", "gamma", "-o", "yaml"});
  ASSERT_EQ(yaml.rc, 0) << yaml.err;
  YAML::Node doc;
  ASSERT_NO_THROW(doc = YAML::Load(yaml.out)) << yaml.out;
  const YAML::Node tags = doc["tags"];
  ASSERT_TRUE(tags.IsMap()) << yaml.out;
  for (size_t i = 0; i < values.size(); ++i) {
    const YAML::Node v = tags["t" + std::to_string(i)];
    ASSERT_TRUE(v.IsScalar()) << "t" << i << " in\n" << yaml.out;
    EXPECT_EQ(v.Scalar(), values[i].first) << yaml.out;
    if (values[i].second) {
      EXPECT_EQ(v.Tag(), "!") << values[i].first << " plain in\n" << yaml.out;
    }
  }
  for (const char* key : {"yes", "0x1F", "~", "a: b"}) {
    EXPECT_EQ(tags[key].as<std::string>(""), "k") << key << " in\n" << yaml.out;
  }
}

TEST_F(CliConventions, QueryIsAppliedBeforeFormatting) {
  EXPECT_EQ(Json({"model", "list", "-o", "json", "--query", "[].name"}),
            nlohmann::json({"alpha", "beta"}));
  EXPECT_EQ(Json({"model", "list", "-o", "json", "--query", "length(@)"}), 2);
  EXPECT_EQ(Json({"model", "list", "-o", "json", "--query", "[?sizeBytes > `4`].id"}),
            nlohmann::json({"beta:1"}));
  EXPECT_EQ(Json({"model", "list", "-o", "json", "--query", "[?tags.t == '1'] | [0].name"}),
            "alpha");
  EXPECT_EQ(Json({"model", "list", "-o", "json", "--query",
                  "sort_by(@, &sizeBytes)[-1].{n: name, size: sizeBytes}"}),
            nlohmann::json({{"n", "beta"}, {"size", 5}}));

  // A table from the query's result: a column per key, in the query's order.
  Result table = Skiff({"model", "list", "--query", "[].{Name: name, Size: sizeBytes}"});
  ASSERT_EQ(table.rc, 0) << table.err;
  EXPECT_EQ(table.out.rfind("Name   Size\n", 0), 0u) << table.out;
  EXPECT_NE(table.out.find("beta   5\n"), std::string::npos) << table.out;
  Result tsv = Skiff({"model", "show", "-n", "alpha", "--query", "name", "-o", "tsv"});
  EXPECT_EQ(tsv.out, "alpha\n");

  // A query that does not parse is a usage error before the command runs;
  // a type error in a function is a failure naming the function.
  Result syntax = Skiff({"model", "list", "--query", "[?name == 'alpha'"});
  EXPECT_EQ(syntax.rc, 2) << syntax.err;
  EXPECT_NE(syntax.err.find("--query"), std::string::npos) << syntax.err;
  EXPECT_NE(syntax.err.find("syntax error"), std::string::npos) << syntax.err;
  Result type = Skiff({"model", "list", "--query", "abs([0].name)"});
  EXPECT_EQ(type.rc, 1) << type.err;
  EXPECT_NE(type.err.find("abs() argument 1 must be number"), std::string::npos) << type.err;
}

TEST_F(CliConventions, ColourOnlyOnATerminalAndNeverWithNoColor) {
  auto tty = RunInPty("env -u NO_COLOR " + Line({"model", "list", "-o", "jsonc"}));
  EXPECT_EQ(tty.rc, 0) << tty.out;
  EXPECT_NE(tty.out.find("\x1b[36m\"name\"\x1b[0m"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("\x1b[32m\"alpha\"\x1b[0m"), std::string::npos) << tty.out;

  auto no_color = RunInPty("NO_COLOR=1 " + Line({"model", "list", "-o", "jsonc"}));
  EXPECT_EQ(no_color.rc, 0) << no_color.out;
  EXPECT_NE(no_color.out.find("\"alpha\""), std::string::npos) << no_color.out;
  EXPECT_EQ(no_color.out.find('\x1b'), std::string::npos) << no_color.out;

  // Errors are red on a terminal only.
  auto err = RunInPty("env -u NO_COLOR " + Line({"model", "show", "-m", "ghost:1"}));
  EXPECT_EQ(err.rc, 3);
  EXPECT_NE(err.out.find("\x1b[31mskiff: error: \x1b[0m"), std::string::npos) << err.out;
  Result piped = Skiff({"model", "show", "-m", "ghost:1"});
  EXPECT_EQ(piped.err.rfind("skiff: error: ", 0), 0u) << piped.err;
}

TEST_F(CliConventions, AtFileReadsValueArguments) {
  Spit(Path("desc.txt"), "described in a file\n");
  Spit(Path("m.bin"), "m");
  // -d @FILE is the file's text (one trailing newline dropped); a path
  // option takes @PATH as the path itself.
  auto reg = Json({"model", "register", "-n", "m", "-p", "@" + Path("m.bin"), "-d",
                   "@" + Path("desc.txt"), "-o", "json"});
  EXPECT_EQ(reg["description"], "described in a file");
  EXPECT_EQ(reg["sizeBytes"], 1);

  // A missing file is a usage error naming the option and the file, also
  // for `service run -d @input.json` (refused before any service is asked).
  Result missing =
      Skiff({"model", "register", "-n", "m", "-p", Path("m.bin"), "-d", "@" + Path("nope.txt")});
  EXPECT_EQ(missing.rc, 2) << missing.err;
  EXPECT_NE(missing.err.find("nope.txt"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("--description"), std::string::npos) << missing.err;
  Result run = Skiff({"service", "run", "-n", "svc", "-d", "@" + Path("input.json")});
  EXPECT_EQ(run.rc, 2) << run.err;
  EXPECT_NE(run.err.find("input.json"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("--input-data"), std::string::npos) << run.err;

  // A secret flag keeps reading @FILE itself (never expanded onto a value).
  Result key = Skiff(
      {"service", "regen-key", "-n", "svc", "-k", "Primary", "--set-key", "@" + Path("nope.key")});
  EXPECT_NE(key.rc, 0);
  EXPECT_NE(key.err.find("nope.key"), std::string::npos) << key.err;
}

TEST_F(CliConventions, DebugVerboseAndOnlyShowErrors) {
  Result plain = Skiff({"model", "list"});
  EXPECT_EQ(plain.err.find("DEBUG:"), std::string::npos) << plain.err;
  EXPECT_EQ(plain.err.find("INFO:"), std::string::npos) << plain.err;

  // --debug anywhere on the line sets SKIFF_DEBUG=1 for the SDK's lines.
  for (auto args : {std::vector<std::string>{"--debug", "model", "list"},
                    std::vector<std::string>{"model", "list", "--debug"}}) {
    Result debug = Skiff(args);
    EXPECT_EQ(debug.rc, 0) << debug.err;
    EXPECT_NE(debug.err.find("DEBUG: workspace: " + Path("ws")), std::string::npos) << debug.err;
    EXPECT_NE(debug.out.find("alpha"), std::string::npos);
  }
  Result plugins = Skiff({"plugins", "list", "--debug"});
  EXPECT_NE(plugins.err.find("DEBUG: plugin search path: "), std::string::npos) << plugins.err;

  Result verbose = Skiff({"model", "list", "--verbose"});
  EXPECT_NE(verbose.err.find("INFO: command ran in "), std::string::npos) << verbose.err;
  EXPECT_EQ(verbose.err.find("DEBUG:"), std::string::npos) << verbose.err;

  // A warning, then the same command with --only-show-errors.
  Result warned = Skiff({"computetarget", "create", "local", "-n", "open", "--address", "0.0.0.0"});
  ASSERT_EQ(warned.rc, 0) << warned.err;
  EXPECT_NE(warned.err.find("skiff: warning: services on 'open'"), std::string::npos) << warned.err;
  Result quiet = Skiff({"computetarget", "create", "local", "-n", "open2", "--address", "0.0.0.0",
                        "--only-show-errors"});
  ASSERT_EQ(quiet.rc, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("warning"), std::string::npos) << quiet.err;
  // Errors still show.
  Result error = Skiff({"model", "show", "-m", "ghost:1", "--only-show-errors"});
  EXPECT_EQ(error.rc, 3);
  EXPECT_EQ(error.err.rfind("skiff: error: ", 0), 0u) << error.err;
}

// Completions as bash computes them: the script is sourced in a real bash
// and its function called the way `complete -F` calls it.
TEST_F(CliConventions, BashCompletionOfCommandsFlagsAndValues) {
  Result script = Skiff({"completion", "bash"});
  ASSERT_EQ(script.rc, 0) << script.err;
  Spit(Path("complete.bash"), script.out);
  auto complete = [&](const std::string& words, int cword) {
    Spit(Path("run.sh"), "source " + Quote(Path("complete.bash")) + "\nCOMP_WORDS=(" + words +
                             ")\nCOMP_CWORD=" + std::to_string(cword) +
                             "\n_skiff\necho \"${COMPREPLY[*]}\"\n");
    std::string cmd = "bash " + Quote(Path("run.sh")) + " >" + Quote(Path("c.out")) + " 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << Slurp(Path("c.out"));
    std::string out = Slurp(Path("c.out"));
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  };
  EXPECT_EQ(complete("skiff servi", 1), "service");
  EXPECT_EQ(complete("skiff model reg", 2), "register");
  EXPECT_EQ(complete("skiff model list --out", 3), "--output");
  EXPECT_EQ(complete("skiff model list --only", 3), "--only-show-errors");  // a global flag
  EXPECT_EQ(complete("skiff model list -o ts", 4), "tsv");
  EXPECT_EQ(complete("skiff completion z", 2), "zsh");
  EXPECT_EQ(complete("skiff model register --ta", 3), "--tag");

  // zsh (scripts/deps installs it): the script loads, registers _skiff with
  // zsh's completion system, and offers the same candidates (zsh itself
  // then matches them against the word typed, so they come unfiltered).
  Result zsh = Skiff({"completion", "zsh"});
  ASSERT_EQ(zsh.rc, 0) << zsh.err;
  Spit(Path("complete.zsh"), zsh.out);
  Spit(Path("run.zsh"), "source " + Quote(Path("complete.zsh")) +
                            "\nprint -r -- \"${_comps[skiff]}\"\nsetopt ksharrays\n"
                            "COMP_WORDS=(skiff model list --out)\nCOMP_CWORD=3\n_skiff\n"
                            "print -r -- \"${COMPREPLY[*]}\"\n");
  const std::string zsh_cmd =
      "zsh -f " + Quote(Path("run.zsh")) + " >" + Quote(Path("z.out")) + " 2>&1";
  ASSERT_EQ(std::system(zsh_cmd.c_str()), 0) << Slurp(Path("z.out"));
  const std::string zsh_out = Slurp(Path("z.out"));
  EXPECT_EQ(zsh_out.rfind("_bash_complete -F _skiff\n", 0), 0u) << zsh_out;
  EXPECT_NE(zsh_out.find(" --output "), std::string::npos) << zsh_out;
  EXPECT_NE(zsh_out.find(" --only-show-errors"), std::string::npos) << zsh_out;
  EXPECT_EQ(Skiff({"completion", "fish"}).rc, 2);
}

}  // namespace
