using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ResistanceBot.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Unlinkable : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Every value derived from a tipster's id so far was keyed with the configuration's pseudonym key, which a seized server
            // holds: erased, not converted. Drafts and conversations (minutes old), bans and notices go; tips keep their contents.
            migrationBuilder.Sql("DELETE FROM \"tip_drafts\"; DELETE FROM \"conversations\"; DELETE FROM \"tip_bans\"; DELETE FROM \"tip_notices\";");
            migrationBuilder.Sql("UPDATE \"tips\" SET \"SealedReplyRoute\" = NULL;");
            migrationBuilder.Sql("UPDATE \"audit_log\" SET \"Actor\" = 'reader' WHERE \"Actor\" LIKE 'reader:%';");

            migrationBuilder.DropForeignKey(name: "FK_tip_notices_outbox_OutboxId", table: "tip_notices");
            migrationBuilder.DropIndex(name: "IX_tip_notices_OutboxId", table: "tip_notices");
            migrationBuilder.DropColumn(name: "OutboxId", table: "tip_notices");
            migrationBuilder.AddColumn<long>(name: "ChatId", table: "tip_notices", type: "INTEGER", nullable: false, defaultValue: 0L);
            migrationBuilder.AddColumn<int>(name: "MessageId", table: "tip_notices", type: "INTEGER", nullable: true);

            migrationBuilder.DropIndex(name: "IX_tips_ReplyRouteOwner", table: "tips");
            migrationBuilder.DropIndex(name: "IX_tips_State_DecidedAt", table: "tips");
            migrationBuilder.DropColumn(name: "ReplyRouteOwner", table: "tips");
            migrationBuilder.DropColumn(name: "ReplyRouteExpiresAt", table: "tips");
            migrationBuilder.RenameColumn(name: "SubmittedHour", table: "tips", newName: "SubmittedOn");
            migrationBuilder.RenameColumn(name: "DecidedAt", table: "tips", newName: "DecidedOn");
            migrationBuilder.RenameIndex(name: "IX_tips_SenderTag_SubmittedHour", table: "tips", newName: "IX_tips_SenderTag_SubmittedOn");
            migrationBuilder.AlterColumn<byte[]>(name: "SenderTag", table: "tips", type: "BLOB", maxLength: 32, nullable: true, oldClrType: typeof(byte[]), oldType: "BLOB", oldMaxLength: 32);
            migrationBuilder.AddColumn<DateTime>(name: "SenderTagUntil", table: "tips", type: "TEXT", nullable: true);
            migrationBuilder.AddColumn<DateTime>(name: "ReplyRouteUntil", table: "tips", type: "TEXT", nullable: true);
            migrationBuilder.CreateIndex(name: "IX_tips_State_DecidedOn", table: "tips", columns: new[] { "State", "DecidedOn" });
            // SQLite rebuilds tips at the end of this migration, so the tag is still NOT NULL here: blanked now, nulled by UnlinkableTags.
            migrationBuilder.Sql("UPDATE \"tips\" SET \"SenderTag\" = X'', \"SubmittedOn\" = substr(\"SubmittedOn\", 1, 10) || ' 00:00:00', \"DecidedOn\" = substr(\"DecidedOn\", 1, 10) || ' 00:00:00';");

            migrationBuilder.DropColumn(name: "Size", table: "tip_files");

            migrationBuilder.RenameColumn(name: "At", table: "tip_replies", newName: "On");
            migrationBuilder.Sql("UPDATE \"tip_replies\" SET \"On\" = substr(\"On\", 1, 10) || ' 00:00:00';");

            migrationBuilder.DropColumn(name: "TipId", table: "tip_bans");
            migrationBuilder.RenameColumn(name: "At", table: "tip_bans", newName: "Until");

            migrationBuilder.RenameColumn(name: "At", table: "audit_log", newName: "On");
            migrationBuilder.RenameIndex(name: "IX_audit_log_At", table: "audit_log", newName: "IX_audit_log_On");
            migrationBuilder.Sql("UPDATE \"audit_log\" SET \"On\" = substr(\"On\", 1, 10) || ' 00:00:00';");

            migrationBuilder.AddColumn<bool>(name: "Completed", table: "processed_updates", type: "INTEGER", nullable: false, defaultValue: false);
            migrationBuilder.Sql("UPDATE \"processed_updates\" SET \"Completed\" = 1, \"ClaimedAt\" = substr(\"ClaimedAt\", 1, 13) || ':00:00' WHERE \"CompletedAt\" IS NOT NULL;");
            migrationBuilder.DropColumn(name: "CompletedAt", table: "processed_updates");

            migrationBuilder.RenameColumn(name: "AddedAt", table: "staff", newName: "AddedOn");
            migrationBuilder.Sql("UPDATE \"staff\" SET \"AddedOn\" = substr(\"AddedOn\", 1, 10) || ' 00:00:00';");

            // Rows from before signing grant nothing until an admin adds the member again (README, "Upgrading").
            migrationBuilder.AddColumn<byte[]>(name: "Signature", table: "staff", type: "BLOB", maxLength: 32, nullable: true);

            migrationBuilder.CreateTable(
                name: "erasable_keys",
                columns: table => new
                {
                    Scope = table.Column<byte>(type: "INTEGER", nullable: false),
                    FirstDay = table.Column<int>(type: "INTEGER", nullable: false),
                    Days = table.Column<int>(type: "INTEGER", nullable: false),
                    SealedKey = table.Column<byte[]>(type: "BLOB", maxLength: 80, nullable: false),
                },
                constraints: table => table.PrimaryKey("PK_erasable_keys", x => new { x.Scope, x.FirstDay }));
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(name: "erasable_keys");
            migrationBuilder.DropColumn(name: "Signature", table: "staff");
            migrationBuilder.RenameColumn(name: "AddedOn", table: "staff", newName: "AddedAt");
            migrationBuilder.AddColumn<DateTime>(name: "CompletedAt", table: "processed_updates", type: "TEXT", nullable: true);
            migrationBuilder.DropColumn(name: "Completed", table: "processed_updates");
            migrationBuilder.RenameIndex(name: "IX_audit_log_On", table: "audit_log", newName: "IX_audit_log_At");
            migrationBuilder.RenameColumn(name: "On", table: "audit_log", newName: "At");
            migrationBuilder.RenameColumn(name: "Until", table: "tip_bans", newName: "At");
            migrationBuilder.AddColumn<int>(name: "TipId", table: "tip_bans", type: "INTEGER", nullable: false, defaultValue: 0);
            migrationBuilder.RenameColumn(name: "On", table: "tip_replies", newName: "At");
            migrationBuilder.AddColumn<int>(name: "Size", table: "tip_files", type: "INTEGER", nullable: false, defaultValue: 0);
            migrationBuilder.DropIndex(name: "IX_tips_State_DecidedOn", table: "tips");
            migrationBuilder.DropColumn(name: "ReplyRouteUntil", table: "tips");
            migrationBuilder.DropColumn(name: "SenderTagUntil", table: "tips");
            migrationBuilder.Sql("UPDATE \"tips\" SET \"SenderTag\" = X'' WHERE \"SenderTag\" IS NULL;");
            migrationBuilder.AlterColumn<byte[]>(name: "SenderTag", table: "tips", type: "BLOB", maxLength: 32, nullable: false, defaultValue: new byte[0], oldClrType: typeof(byte[]), oldType: "BLOB", oldMaxLength: 32, oldNullable: true);
            migrationBuilder.RenameIndex(name: "IX_tips_SenderTag_SubmittedOn", table: "tips", newName: "IX_tips_SenderTag_SubmittedHour");
            migrationBuilder.RenameColumn(name: "DecidedOn", table: "tips", newName: "DecidedAt");
            migrationBuilder.RenameColumn(name: "SubmittedOn", table: "tips", newName: "SubmittedHour");
            migrationBuilder.AddColumn<DateTime>(name: "ReplyRouteExpiresAt", table: "tips", type: "TEXT", nullable: true);
            migrationBuilder.AddColumn<byte[]>(name: "ReplyRouteOwner", table: "tips", type: "BLOB", maxLength: 32, nullable: true);
            migrationBuilder.CreateIndex(name: "IX_tips_State_DecidedAt", table: "tips", columns: new[] { "State", "DecidedAt" });
            migrationBuilder.CreateIndex(name: "IX_tips_ReplyRouteOwner", table: "tips", column: "ReplyRouteOwner");
            migrationBuilder.Sql("DELETE FROM \"tip_notices\";");
            migrationBuilder.DropColumn(name: "MessageId", table: "tip_notices");
            migrationBuilder.DropColumn(name: "ChatId", table: "tip_notices");
            migrationBuilder.AddColumn<long>(name: "OutboxId", table: "tip_notices", type: "INTEGER", nullable: false, defaultValue: 0L);
            migrationBuilder.CreateIndex(name: "IX_tip_notices_OutboxId", table: "tip_notices", column: "OutboxId");
            migrationBuilder.AddForeignKey(name: "FK_tip_notices_outbox_OutboxId", table: "tip_notices", column: "OutboxId", principalTable: "outbox", principalColumn: "Id", onDelete: ReferentialAction.Cascade);
        }
    }
}
