"""Forms of the 后台管理 screens."""
from core.i18n import lazy_gettext as _l
from wtforms import BooleanField, DateField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms import widgets
from wtforms.validators import DataRequired, Optional, Regexp

from core import roles
from core.forms import ModelForm
from core.models import Batch, Company, Project, User
from core.models.org import ACQUISITION_METHODS, COMPANY_KINDS
from core.versioning import VersionedForm

CODE = Regexp(r"^[A-Za-z0-9_\-\.]+$", message=_l("只能包含字母、数字、-、_ 和 ."))


class CheckboxListField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class CompanyForm(VersionedForm, ModelForm):
    model = Company
    name = StringField(_l("名称"), validators=[DataRequired(_l("请输入名称"))])
    kind = SelectField(_l("类型"), choices=[(k, v) for k, v in COMPANY_KINDS.items()])
    parent_id = SelectField(_l("上级"), coerce=int)
    region = StringField(_l("区域"), validators=[Optional()])


class BatchForm(ModelForm):
    model = Batch
    name = StringField(_l("批次"), validators=[DataRequired(_l("请输入批次名称"))])


class ProjectForm(VersionedForm, ModelForm):
    model = Project
    code = StringField(_l("项目编码"), validators=[DataRequired(_l("请输入项目编码")), CODE])
    name = StringField(_l("项目名称"), validators=[DataRequired(_l("请输入项目名称"))])
    company_id = SelectField(_l("城市公司"), coerce=int)
    land_acquired_on = DateField(_l("拿地时间"), validators=[Optional()], format="%Y-%m-%d")
    batch_id = SelectField(_l("批次"), coerce=int)
    is_open = BooleanField(_l("开放"))
    is_settled = BooleanField(_l("清算"))
    is_joint_operation = BooleanField(_l("合作操盘"))
    operator = SelectField(_l("操盘方"))
    acquisition_method = SelectField(_l("取得方式"), choices=list(ACQUISITION_METHODS.items()))


class UserForm(VersionedForm, ModelForm):
    model = User
    username = StringField(_l("账号"), validators=[DataRequired(_l("请输入账号")), CODE])
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请输入姓名"))])
    mobile = StringField(_l("手机"), validators=[Optional(), Regexp(r"^\+?[0-9]{6,20}$", message=_l("手机号格式不正确"))])
    email = StringField(_l("邮箱"), validators=[Optional(),
                        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("邮箱格式不正确"))])
    company_id = SelectField(_l("所属公司"), coerce=int)
    roles = CheckboxListField(_l("角色"), choices=[(r, roles.LABELS[r]) for r in roles.ALL])
    password = PasswordField(_l("密码"), validators=[Optional()])
    active = BooleanField(_l("启用"), default=True)
    locale = SelectField(_l("语言"), choices=[("", _l("默认")), ("zh", "中文"), ("en", "English")])
