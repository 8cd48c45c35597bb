//! Word lists and catalogue tables for the demo street: names, key-person tags, departments,
//! incident categories, the visit checklist, the service catalogue and the 2026 holidays.

use gridwalk_shared::model::Level;

/// Common surnames, most frequent first (space-separated).
pub(super) const SURNAMES: &str = "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 \
    郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖 田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 \
    姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 韦 付 方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 \
    龙 史 陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 武 戴 莫 孔 向 汤 欧阳 上官";

/// Characters for men's given names (space-separated).
pub(super) const MALE_GIVEN: &str = "伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 鑫 波 宇 \
    浩 凯 健 俊 帆 旭 宁 龙 林 阳 建 国 志 文 卫 东 海 峰 成 亮 晨 博 然 轩 睿 泽 子 昊 宏 德 \
    庆 永 春 兴 荣 长 福 贵 树 铭 思 嘉 毅 锋";

/// Characters for women's given names (space-separated).
pub(super) const FEMALE_GIVEN: &str = "芳 娜 敏 静 丽 艳 娟 霞 燕 玲 桂 英 秀 兰 萍 红 梅 琳 \
    婷 雪 慧 莉 倩 颖 洁 佳 欣 怡 悦 琪 涵 璐 晶 露 瑶 菲 月 凤 珍 华 云 莲 琴 淑 彤 诗 雨 思 \
    梦 妍 宁 晓";

/// Occasional household notes.
pub(super) const NOTES: &[&str] = &[
    "子女在外地工作，需定期探望",
    "白天家中无人，建议晚间走访",
    "老人行动不便，住一楼",
    "已加入楼栋微信群",
    "房屋出租，租客为外卖骑手",
    "家中饲养大型犬，入户前请先电话联系",
];

/// Who a key-person tag can apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Who {
    /// The household as a whole.
    Household,
    /// The only member of the household, aged 60 or more.
    LivingAlone,
    /// Every member, when all are 60 or older and there are two or more.
    EmptyNest,
    /// A child under 16.
    Child,
    /// An adult aged 18–75.
    Adult,
    /// A household whose head is 50 or older, with no children living there.
    Bereaved,
    /// An adult aged 20–40.
    Young,
    /// A woman aged 18–49.
    Woman,
    /// A woman aged 22–40.
    Mother,
    /// A man aged 22–80.
    Veteran,
}

/// A key-person kind: (class, kind, who it fits, weight).
pub(super) type TagRow = (&'static str, &'static str, Who, u32);

/// The 22 key-person kinds (重点人群) in 3 classes.
#[rustfmt::skip]
pub(super) const TAGS: &[TagRow] = &[
    ("关爱类", "独居老人", Who::LivingAlone, 4),
    ("关爱类", "空巢老人", Who::EmptyNest, 4),
    ("关爱类", "留守儿童", Who::Child, 2),
    ("关爱类", "残疾人", Who::Adult, 4),
    ("关爱类", "低保户", Who::Household, 3),
    ("关爱类", "特困人员", Who::LivingAlone, 1),
    ("关爱类", "失独家庭", Who::Bereaved, 1),
    ("关爱类", "重病患者", Who::Adult, 3),
    ("管理类", "社区矫正人员", Who::Adult, 1),
    ("管理类", "刑满释放人员", Who::Adult, 1),
    ("管理类", "吸毒人员", Who::Adult, 1),
    ("管理类", "精神障碍患者", Who::Adult, 2),
    ("管理类", "重点上访人员", Who::Adult, 1),
    ("管理类", "邪教人员", Who::Adult, 1),
    ("服务类", "退役军人", Who::Veteran, 3),
    ("服务类", "育龄妇女", Who::Woman, 4),
    ("服务类", "新就业群体", Who::Young, 3),
    ("服务类", "流动人口", Who::Household, 3),
    ("服务类", "租户", Who::Household, 4),
    ("服务类", "志愿者", Who::Adult, 3),
    ("服务类", "党员", Who::Adult, 4),
    ("服务类", "孕产妇", Who::Mother, 1),
];

/// Street departments (unit = the street).
pub(super) const STREET_DEPARTMENTS: &[&str] = &[
    "城管科",
    "综治办",
    "民政科",
    "安监科",
    "市场监管所",
    "社区建设科",
    "卫健办",
    "司法所",
];

/// City departments beyond the street (unit = the district).
pub(super) const CITY_DEPARTMENTS: &[&str] = &["区住建局", "区生态环境局", "区水务局"];

/// An incident category: (code, group, name, level, handling department).
pub(super) type CategoryRow = (
    &'static str,
    &'static str,
    &'static str,
    Level,
    Option<&'static str>,
);

/// Incident categories and where they are routed.
#[rustfmt::skip]
pub(super) const CATEGORIES: &[CategoryRow] = &[
    ("env.garbage", "环境卫生", "暴露垃圾", Level::Street, Some("城管科")),
    ("env.littering", "环境卫生", "乱扔乱倒", Level::Grid, None),
    ("env.pollution", "环境卫生", "餐饮油烟污染", Level::City, Some("区生态环境局")),
    ("city.illegal_parking", "城市管理", "违章停车", Level::Street, Some("城管科")),
    ("city.road_damage", "城市管理", "道路破损", Level::City, Some("区住建局")),
    ("safety.fire_exit", "安全隐患", "消防通道堵塞", Level::Street, Some("安监科")),
    ("safety.gas", "安全隐患", "燃气安全隐患", Level::Street, Some("安监科")),
    ("safety.electric_bike", "安全隐患", "电动车入户充电", Level::Grid, None),
    ("order.noise", "社会秩序", "噪音扰民", Level::Community, None),
    ("order.dispute", "社会秩序", "邻里纠纷", Level::Community, None),
    ("infra.streetlight", "市政设施", "路灯损坏", Level::Street, Some("城管科")),
    ("infra.water_leak", "市政设施", "供水管道漏水", Level::City, Some("区水务局")),
    ("infra.manhole", "市政设施", "井盖缺失破损", Level::City, Some("区住建局")),
    ("service.elderly_help", "民生服务", "老人求助", Level::Street, Some("民政科")),
    ("market.unlicensed", "市场监管", "无证经营", Level::Street, Some("市场监管所")),
    ("other", "其他", "其他问题", Level::Community, None),
];

/// Answer kind of a checklist row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// 是/否
    YesNo,
    /// One of the options.
    Single,
    /// Any of the options.
    Multi,
    /// Free text.
    Text,
    /// A number.
    Number,
    /// Photos.
    Photo,
}

/// A checklist item: (key, label, kind, options, required).
pub(super) type ItemRow = (
    &'static str,
    &'static str,
    Kind,
    &'static [&'static str],
    bool,
);

/// The visit checklist (网格走访清单).
#[rustfmt::skip]
pub(super) const CHECKLIST: &[ItemRow] = &[
    ("visit.met_resident", "是否见到住户本人", Kind::YesNo, &[], true),
    ("residents.occupancy", "房屋使用情况", Kind::Single, &["自住", "出租", "空置", "借住", "经营"], true),
    ("residents.count", "现居住人数", Kind::Number, &[], false),
    ("residents.count_changed", "家庭成员是否有变动（迁入、迁出、出生、死亡）", Kind::YesNo, &[], true),
    ("residents.change_note", "人员变动情况说明", Kind::Text, &[], false),
    ("residents.tenant_registered", "租户是否已登记居住信息", Kind::Single, &["已登记", "未登记", "无租户"], false),
    ("residents.phone_changed", "联系电话是否有变化", Kind::YesNo, &[], false),
    ("elderly.living_alone_ok", "独居、空巢老人身体及生活状况", Kind::Single, &["正常", "需关注", "需上门帮扶", "不适用"], false),
    ("elderly.needs", "老人需要的服务", Kind::Multi, &["助餐", "助洁", "助医", "助浴", "代购代办", "精神慰藉", "无"], false),
    ("elderly.emergency_contact", "是否留有紧急联系人", Kind::YesNo, &[], false),
    ("care.left_behind_child", "是否有留守儿童需要关注", Kind::YesNo, &[], false),
    ("care.disabled_needs", "残疾人需求", Kind::Multi, &["辅具适配", "康复训练", "就业帮扶", "生活补贴", "无障碍改造", "无"], false),
    ("care.hardship", "家庭生活困难情况", Kind::Single, &["无困难", "临时困难", "长期困难"], false),
    ("safety.fire_extinguisher", "家中是否配备灭火器", Kind::YesNo, &[], false),
    ("safety.gas_leak", "燃气管道、阀门、软管是否有泄漏或老化", Kind::YesNo, &[], true),
    ("safety.gas_alarm", "是否安装燃气报警器", Kind::YesNo, &[], false),
    ("safety.electric_bike", "是否有电动自行车入户或楼道充电", Kind::YesNo, &[], false),
    ("safety.wiring", "电线是否有私拉乱接或老化", Kind::YesNo, &[], false),
    ("safety.hazards", "发现的安全隐患", Kind::Multi, &["消防通道堵塞", "楼道堆物", "燃气隐患", "用电隐患", "高空坠物", "无"], true),
    ("safety.hazard_photo", "隐患现场照片", Kind::Photo, &[], false),
    ("order.dispute", "是否存在邻里矛盾纠纷", Kind::YesNo, &[], false),
    ("order.suspicious", "是否发现可疑人员或异常情况", Kind::YesNo, &[], false),
    ("order.fraud_awareness", "是否已宣传防范电信网络诈骗", Kind::YesNo, &[], false),
    ("env.sanitation", "楼道及周边环境卫生", Kind::Single, &["整洁", "一般", "较差"], false),
    ("env.garbage_sorting", "垃圾分类投放情况", Kind::Single, &["规范", "基本规范", "不规范"], false),
    ("service.requests", "居民诉求类型", Kind::Multi, &["就业", "医疗", "教育", "住房", "社保", "法律咨询", "无"], false),
    ("service.request_note", "居民诉求及建议", Kind::Text, &[], false),
    ("service.satisfaction", "对社区工作的满意度", Kind::Single, &["满意", "基本满意", "不满意"], false),
    ("policy.publicity", "已宣传的政策", Kind::Multi, &["医保参保", "养老保险", "防汛防灾", "垃圾分类", "文明创建"], false),
    ("visit.photo", "门牌或走访现场照片", Kind::Photo, &[], false),
];

/// A service item: (category, item, working days (0: on the spot), department, materials, steps).
pub(super) type ServiceRow = (
    &'static str,
    &'static str,
    u32,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// The service catalogue (办事一本通).
#[rustfmt::skip]
pub(super) const SERVICES: &[ServiceRow] = &[
    ("社会保障", "城乡居民基本医疗保险参保登记", 0, "社区社保服务站",
        &["居民身份证原件及复印件", "户口簿"],
        &["窗口提交材料", "工作人员审核信息", "录入医保系统", "告知缴费方式"]),
    ("社会保障", "城乡居民基本养老保险参保登记", 0, "街道社保所",
        &["居民身份证原件及复印件", "户口簿", "城乡居民基本养老保险参保登记表"],
        &["领取并填写登记表", "提交材料审核", "录入系统", "告知缴费档次与缴费方式"]),
    ("社会保障", "城乡居民养老保险待遇领取申请", 15, "街道社保所",
        &["居民身份证原件及复印件", "户口簿", "社会保障卡", "近期免冠一寸照片"],
        &["提交申请及材料", "社区初审", "街道社保所复核", "区社保中心审批", "按月发放待遇"]),
    ("社会保障", "社会保障卡申领", 10, "街道社保所",
        &["居民身份证原件及复印件", "近期免冠一寸白底彩色照片"],
        &["提交申领材料", "信息采集与核验", "制卡", "通知领卡并激活"]),
    ("民政救助", "最低生活保障申请", 20, "民政科",
        &["户口簿及家庭成员居民身份证", "最低生活保障申请书", "家庭收入及财产状况声明", "家庭经济状况核对授权书", "银行卡或存折复印件"],
        &["社区受理申请", "入户调查", "民主评议并公示", "街道审核", "区民政局审批"]),
    ("民政救助", "特困人员救助供养申请", 20, "民政科",
        &["居民身份证及户口簿", "特困人员救助供养申请书", "残疾人证或医疗诊断证明（如有）", "家庭经济状况核对授权书"],
        &["社区受理申请", "入户核查", "公示", "街道审核后报区民政局审批"]),
    ("民政救助", "临时救助申请", 10, "民政科",
        &["居民身份证及户口簿", "临时救助申请书", "遭遇困难的相关证明（如医疗费票据）"],
        &["提交申请", "社区调查核实", "街道审批", "发放救助金"]),
    ("民政救助", "困难群众医疗救助申请", 15, "民政科",
        &["居民身份证及户口簿", "低保证或特困证", "住院发票及费用清单", "出院小结"],
        &["提交材料", "社区初审", "街道审核", "区医保局审批", "救助金拨付"]),
    ("残疾人服务", "残疾人证办理", 20, "街道残联",
        &["居民身份证及户口簿", "近期免冠二寸彩色照片3张", "相关病历资料"],
        &["社区提交申请", "到指定医院评定残疾等级", "区残联审核", "制证发放"]),
    ("残疾人服务", "困难残疾人生活补贴和重度残疾人护理补贴申请", 15, "街道残联",
        &["残疾人证", "居民身份证及户口簿", "银行卡复印件", "低保证（如有）"],
        &["提交申请", "社区初审并公示", "街道审核", "区残联审批发放"]),
    ("残疾人服务", "残疾人辅助器具适配申请", 10, "街道残联",
        &["残疾人证", "居民身份证", "辅助器具适配申请表"],
        &["提交申请", "上门需求评估", "审核", "适配发放"]),
    ("老龄服务", "高龄津贴申领", 10, "民政科",
        &["居民身份证及户口簿", "银行卡复印件"],
        &["提交申请", "社区核实", "街道审核", "按月发放"]),
    ("老龄服务", "老年人优待证办理", 0, "社区服务站",
        &["居民身份证原件", "近期免冠一寸照片"],
        &["提交材料", "信息核验", "当场制证发放"]),
    ("老龄服务", "居家养老服务申请", 10, "民政科",
        &["居民身份证及户口簿", "居家养老服务申请表", "老年人能力评估报告"],
        &["提交申请", "上门评估", "审核确定服务内容", "安排服务"]),
    ("老龄服务", "长者食堂助餐登记", 0, "社区养老服务站",
        &["居民身份证", "助餐登记表"],
        &["填写登记表", "核验年龄信息", "办理助餐卡"]),
    ("计生卫健", "生育登记", 0, "卫健办",
        &["夫妻双方居民身份证", "结婚证", "户口簿"],
        &["提交材料或线上登记", "信息核验", "出具生育登记凭证"]),
    ("计生卫健", "独生子女父母奖励扶助申请", 20, "卫健办",
        &["夫妻双方居民身份证及户口簿", "独生子女父母光荣证", "结婚证", "奖励扶助申请表"],
        &["个人申请", "社区初审并公示", "街道审核", "区卫健局审批"]),
    ("计生卫健", "计划生育特别扶助申请", 20, "卫健办",
        &["居民身份证及户口簿", "子女死亡证明或残疾人证", "独生子女父母光荣证", "特别扶助申请表"],
        &["个人申请", "社区入户核实", "街道审核", "区卫健局审批发放"]),
    ("计生卫健", "家庭医生签约", 0, "社区卫生服务中心",
        &["居民身份证", "社会保障卡"],
        &["选择签约团队与服务包", "签订服务协议", "建立健康档案"]),
    ("就业创业", "失业登记", 0, "街道社保所",
        &["居民身份证", "解除或终止劳动合同证明", "就业创业证（如有）"],
        &["提交材料", "信息核验", "办理登记并发放就业创业证", "推荐就业岗位"]),
    ("就业创业", "灵活就业人员社会保险补贴申请", 15, "街道社保所",
        &["居民身份证", "就业创业证", "社会保险缴费凭证", "银行卡复印件"],
        &["提交申请", "资格审核", "公示", "补贴发放"]),
    ("就业创业", "创业担保贷款申请", 20, "街道社保所",
        &["居民身份证及户口簿", "营业执照", "创业计划书", "创业担保贷款申请表", "反担保材料"],
        &["提交申请", "社区推荐", "人社部门审核", "经办银行调查并放款"]),
    ("退役军人", "退役军人信息采集", 0, "退役军人服务站",
        &["居民身份证", "退伍证或退出现役证明", "户口簿"],
        &["填写信息采集表", "核验证件", "录入系统"]),
    ("退役军人", "光荣牌悬挂申请", 5, "退役军人服务站",
        &["居民身份证", "退伍证", "户口簿"],
        &["提交申请", "核实身份", "登记造册", "上门悬挂"]),
    ("退役军人", "优抚对象定期抚恤补助申请", 20, "退役军人服务站",
        &["居民身份证及户口簿", "退伍证", "伤残证或相关证明", "银行卡复印件"],
        &["提交申请", "社区初审", "街道审核", "区退役军人事务局审批"]),
    ("综合证明", "居住证明开具", 0, "社区服务站",
        &["居民身份证", "房屋产权证明或租赁合同"],
        &["提交材料", "核实居住情况", "当场开具证明"]),
    ("综合证明", "居住证申领", 15, "社区警务室",
        &["居民身份证", "居住登记凭证", "近期免冠一寸照片", "合法稳定就业或就读证明"],
        &["社区受理", "派出所审核", "制证", "通知领取"]),
    ("综合证明", "家庭经济困难证明开具", 3, "民政科",
        &["居民身份证及户口簿", "家庭收入情况说明", "申请书"],
        &["提交申请", "社区入户核实", "街道审核盖章"]),
];

/// A date in 2026: (month, day).
pub(super) type MonthDay = (u32, u32);

/// 2026 public holidays as published (first and last day, both inclusive).
pub(super) const HOLIDAYS_2026: &[(MonthDay, MonthDay)] = &[
    ((1, 1), (1, 3)),   // 元旦
    ((2, 15), (2, 23)), // 春节
    ((4, 4), (4, 6)),   // 清明节
    ((5, 1), (5, 5)),   // 劳动节
    ((6, 19), (6, 21)), // 端午节
    ((9, 25), (9, 27)), // 中秋节
    ((10, 1), (10, 7)), // 国庆节
];

/// 2026 weekend days worked in exchange (调休上班).
pub(super) const WORKDAYS_2026: &[MonthDay] =
    &[(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)];
