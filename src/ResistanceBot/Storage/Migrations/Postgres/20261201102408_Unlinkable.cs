using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ResistanceBot.Storage.Migrations.Postgres
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
            migrationBuilder.AddColumn<long>(name: "ChatId", table: "tip_notices", type: "bigint", nullable: false, defaultValue: 0L);
            migrationBuilder.AddColumn<int>(name: "MessageId", table: "tip_notices", type: "integer", nullable: true);

            migrationBuilder.DropIndex(name: "IX_tips_ReplyRouteOwner", table: "tips");
            migrationBuilder.DropIndex(name: "IX_tips_State_DecidedAt", table: "tips");
            migrationBuilder.DropColumn(name: "ReplyRouteOwner", table: "tips");
            migrationBuilder.DropColumn(name: "ReplyRouteExpiresAt", table: "tips");
            migrationBuilder.RenameColumn(name: "SubmittedHour", table: "tips", newName: "SubmittedOn");
            migrationBuilder.RenameColumn(name: "DecidedAt", table: "tips", newName: "DecidedOn");
            migrationBuilder.RenameIndex(name: "IX_tips_SenderTag_SubmittedHour", table: "tips", newName: "IX_tips_SenderTag_SubmittedOn");
            migrationBuilder.AlterColumn<byte[]>(name: "SenderTag", table: "tips", type: "bytea", maxLength: 32, nullable: true, oldClrType: typeof(byte[]), oldType: "bytea", oldMaxLength: 32);
            migrationBuilder.AddColumn<DateTime>(name: "SenderTagUntil", table: "tips", type: "timestamp with time zone", nullable: true);
            migrationBuilder.AddColumn<DateTime>(name: "ReplyRouteUntil", table: "tips", type: "timestamp with time zone", nullable: true);
            migrationBuilder.CreateIndex(name: "IX_tips_State_DecidedOn", table: "tips", columns: new[] { "State", "DecidedOn" });
            migrationBuilder.Sql("UPDATE \"tips\" SET \"SenderTag\" = NULL, \"SubmittedOn\" = date_trunc('day', \"SubmittedOn\", 'UTC'), \"DecidedOn\" = date_trunc('day', \"DecidedOn\", 'UTC');");

            migrationBuilder.DropColumn(name: "Size", table: "tip_files");

            migrationBuilder.RenameColumn(name: "At", table: "tip_replies", newName: "On");
            migrationBuilder.Sql("UPDATE \"tip_replies\" SET \"On\" = date_trunc('day', \"On\", 'UTC');");

            migrationBuilder.DropColumn(name: "TipId", table: "tip_bans");
            migrationBuilder.RenameColumn(name: "At", table: "tip_bans", newName: "Until");

            migrationBuilder.RenameColumn(name: "At", table: "audit_log", newName: "On");
            migrationBuilder.RenameIndex(name: "IX_audit_log_At", table: "audit_log", newName: "IX_audit_log_On");
            migrationBuilder.Sql("UPDATE \"audit_log\" SET \"On\" = date_trunc('day', \"On\", 'UTC');");

            migrationBuilder.AddColumn<bool>(name: "Completed", table: "processed_updates", type: "boolean", nullable: false, defaultValue: false);
            migrationBuilder.Sql("UPDATE \"processed_updates\" SET \"Completed\" = TRUE, \"ClaimedAt\" = date_trunc('hour', \"ClaimedAt\", 'UTC') WHERE \"CompletedAt\" IS NOT NULL;");
            migrationBuilder.DropColumn(name: "CompletedAt", table: "processed_updates");

            migrationBuilder.RenameColumn(name: "AddedAt", table: "staff", newName: "AddedOn");
            migrationBuilder.Sql("UPDATE \"staff\" SET \"AddedOn\" = date_trunc('day', \"AddedOn\", 'UTC');");

            // Rows from before signing grant nothing until an admin adds the member again (README, "Upgrading").
            migrationBuilder.AddColumn<byte[]>(name: "Signature", table: "staff", type: "bytea", maxLength: 32, nullable: true);

            migrationBuilder.CreateTable(
                name: "erasable_keys",
                columns: table => new
                {
                    Scope = table.Column<byte>(type: "smallint", nullable: false),
                    FirstDay = table.Column<int>(type: "integer", nullable: false),
                    Days = table.Column<int>(type: "integer", nullable: false),
                    SealedKey = table.Column<byte[]>(type: "bytea", maxLength: 80, nullable: false),
                },
                constraints: table => table.PrimaryKey("PK_erasable_keys", x => new { x.Scope, x.FirstDay }));

            // ANALYZE copies sample values of each column into pg_statistic (most common values, histogram bounds), where they
            // outlive the rows; none of these columns is worth planning by, and each holds a pseudonym, a tag or a sealed id.
            migrationBuilder.Sql("ALTER TABLE \"tips\" ALTER COLUMN \"SenderTag\" SET STATISTICS 0; ALTER TABLE \"tips\" ALTER COLUMN \"ReceiptHash\" SET STATISTICS 0; ALTER TABLE \"tips\" ALTER COLUMN \"SealedReplyRoute\" SET STATISTICS 0; ALTER TABLE \"tip_bans\" ALTER COLUMN \"SenderTag\" SET STATISTICS 0; ALTER TABLE \"tip_drafts\" ALTER COLUMN \"DraftKey\" SET STATISTICS 0; ALTER TABLE \"conversations\" ALTER COLUMN \"ChatKey\" SET STATISTICS 0; ALTER TABLE \"erasable_keys\" ALTER COLUMN \"SealedKey\" SET STATISTICS 0; ALTER TABLE \"readers\" ALTER COLUMN \"Pseudonym\" SET STATISTICS 0; ALTER TABLE \"readers\" ALTER COLUMN \"SealedChatId\" SET STATISTICS 0; ALTER TABLE \"outbox\" ALTER COLUMN \"SealedChatId\" SET STATISTICS 0;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(name: "erasable_keys");
            migrationBuilder.DropColumn(name: "Signature", table: "staff");
            migrationBuilder.RenameColumn(name: "AddedOn", table: "staff", newName: "AddedAt");
            migrationBuilder.AddColumn<DateTime>(name: "CompletedAt", table: "processed_updates", type: "timestamp with time zone", nullable: true);
            migrationBuilder.DropColumn(name: "Completed", table: "processed_updates");
            migrationBuilder.RenameIndex(name: "IX_audit_log_On", table: "audit_log", newName: "IX_audit_log_At");
            migrationBuilder.RenameColumn(name: "On", table: "audit_log", newName: "At");
            migrationBuilder.RenameColumn(name: "Until", table: "tip_bans", newName: "At");
            migrationBuilder.AddColumn<int>(name: "TipId", table: "tip_bans", type: "integer", nullable: false, defaultValue: 0);
            migrationBuilder.RenameColumn(name: "On", table: "tip_replies", newName: "At");
            migrationBuilder.AddColumn<int>(name: "Size", table: "tip_files", type: "integer", nullable: false, defaultValue: 0);
            migrationBuilder.DropIndex(name: "IX_tips_State_DecidedOn", table: "tips");
            migrationBuilder.DropColumn(name: "ReplyRouteUntil", table: "tips");
            migrationBuilder.DropColumn(name: "SenderTagUntil", table: "tips");
            migrationBuilder.Sql("UPDATE \"tips\" SET \"SenderTag\" = '\\x'::bytea WHERE \"SenderTag\" IS NULL;");
            migrationBuilder.AlterColumn<byte[]>(name: "SenderTag", table: "tips", type: "bytea", maxLength: 32, nullable: false, defaultValue: new byte[0], oldClrType: typeof(byte[]), oldType: "bytea", oldMaxLength: 32, oldNullable: true);
            migrationBuilder.RenameIndex(name: "IX_tips_SenderTag_SubmittedOn", table: "tips", newName: "IX_tips_SenderTag_SubmittedHour");
            migrationBuilder.RenameColumn(name: "DecidedOn", table: "tips", newName: "DecidedAt");
            migrationBuilder.RenameColumn(name: "SubmittedOn", table: "tips", newName: "SubmittedHour");
            migrationBuilder.AddColumn<DateTime>(name: "ReplyRouteExpiresAt", table: "tips", type: "timestamp with time zone", nullable: true);
            migrationBuilder.AddColumn<byte[]>(name: "ReplyRouteOwner", table: "tips", type: "bytea", maxLength: 32, nullable: true);
            migrationBuilder.CreateIndex(name: "IX_tips_State_DecidedAt", table: "tips", columns: new[] { "State", "DecidedAt" });
            migrationBuilder.CreateIndex(name: "IX_tips_ReplyRouteOwner", table: "tips", column: "ReplyRouteOwner");
            migrationBuilder.Sql("DELETE FROM \"tip_notices\";");
            migrationBuilder.DropColumn(name: "MessageId", table: "tip_notices");
            migrationBuilder.DropColumn(name: "ChatId", table: "tip_notices");
            migrationBuilder.AddColumn<long>(name: "OutboxId", table: "tip_notices", type: "bigint", nullable: false, defaultValue: 0L);
            migrationBuilder.CreateIndex(name: "IX_tip_notices_OutboxId", table: "tip_notices", column: "OutboxId");
            migrationBuilder.AddForeignKey(name: "FK_tip_notices_outbox_OutboxId", table: "tip_notices", column: "OutboxId", principalTable: "outbox", principalColumn: "Id", onDelete: ReferentialAction.Cascade);
        }
    }
}
