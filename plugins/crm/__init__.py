"""CRM V2 (纷享销客 Fxiaoke protocol): payments kept in step with the group's CRM as PaymentObj records."""
