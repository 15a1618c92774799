// The peer of the intake benchmark: a grammY bot that answers /start as ResistanceBot does to the benchmark's readers (a
// Russian welcome of about the same length, 560 characters, and three language buttons) and stores nothing. `sequential` is bot.start(), one update after another; `runner` is
// @grammyjs/runner with sequentialize per chat, as ResistanceBot orders updates.
// Usage: node bot.mjs TOKEN API_ROOT sequential|runner
import { Bot, InlineKeyboard } from "grammy";
import { run, sequentialize } from "@grammyjs/runner";

const [token, apiRoot, mode = "sequential"] = process.argv.slice(2);
const bot = new Bot(token, { client: { apiRoot } });
if (mode === "runner") {
  bot.use(sequentialize((ctx) => ctx.chat?.id.toString()));
}

const welcome = "<b>ResistanceBot</b>\n\n" + "Обзоры низового сопротивления войне. ".repeat(14);
const keyboard = new InlineKeyboard().text("English", "lang:en").text("Русский", "lang:ru").text("Українська", "lang:uk");
bot.command("start", (ctx) => ctx.reply(welcome, { parse_mode: "HTML", reply_markup: keyboard }));

if (mode === "runner") {
  run(bot);
} else {
  bot.start({ timeout: 1 });
}
